"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from simulator.db.migrate import current_revision, head_revision, upgrade
from simulator.db.models import Base


@pytest.mark.db
def test_migrations_match_the_models(tmp_path, database_url):  # type: ignore[no-untyped-def]
    if database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            connection.execute(text("CREATE SCHEMA migration_check"))
        url = (
            database_url
            + ("&" if "?" in database_url else "?")
            + "options=-csearch_path%3Dmigration_check"
        )
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diffs == []
    finally:
        engine.dispose()
        if database_url.startswith("postgresql"):
            cleanup = create_engine(database_url)
            with cleanup.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            cleanup.dispose()
