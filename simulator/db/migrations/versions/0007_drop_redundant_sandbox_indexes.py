"""drop the sandbox_id indexes that a composite index already covers (issue 5)

``insured_relations``, ``contribution_lines`` and ``businesses`` each have an index
(or unique constraint) starting with ``sandbox_id``; the single-column index only cost
time on every insert of a batch.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 13:40:00
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

REDUNDANT = (
    ("insured_relations", "ix_insured_relations_sandbox_id"),
    ("contribution_lines", "ix_contribution_lines_sandbox_id"),
    ("businesses", "ix_businesses_sandbox_id"),
)


def upgrade() -> None:
    for table, index in REDUNDANT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)


def downgrade() -> None:
    for table, index in REDUNDANT:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(index, ["sandbox_id"], unique=False)
