"""compact batch records: effect ranges and a batch's shared trace entries (issue 5)

A business's inserts into one table with consecutive ids become one effect row
(``row_count``), and a batch job keeps the parameter entries its rows' traces share
(``trace_entries``), which each 办件's trace references as ``{"$entry": k}``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("business_effects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("row_count", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trace_entries", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batch_jobs", schema=None) as batch_op:
        batch_op.drop_column("trace_entries")
    with op.batch_alter_table("business_effects", schema=None) as batch_op:
        batch_op.drop_column("row_count")
