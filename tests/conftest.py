"""Shared fixtures: a platform on an in-memory SQLite database (or PostgreSQL for
tests marked ``db`` when ``SHEBAO_SIM_TEST_DATABASE_URL`` is set), an app, a client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mocks.transport import in_process_mocks
from simulator.app import TestConfig, create_app
from simulator.auth import configure_hashing
from simulator.platform import Platform
from simulator.spec_coverage import default_catalogue_path, marker_names
from simulator.worlds import load_world

# Argon2 at production cost takes ~0.17 s a hash; the tests hash many passwords.
configure_hashing(time_cost=1, memory_cost=1024, parallelism=1)

TEST_DATABASE_ENV = "SHEBAO_SIM_TEST_DATABASE_URL"
ROOT = Path(__file__).resolve().parents[1]
FEATURES = ROOT / "features"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sim-url",
        default=None,
        help="run the Gherkin features against a running simulator at this URL "
        "(default: the platform in-process)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register every behaviour ID and feature tag as a marker (``--strict-markers`` holds)."""
    for name in sorted(marker_names(default_catalogue_path(ROOT), FEATURES)):
        config.addinivalue_line("markers", f"{name}: behaviour or tag from the features")


def _database_url() -> str:
    return os.environ.get(TEST_DATABASE_ENV) or "sqlite://"


@pytest.fixture(scope="session")
def database_url() -> str:
    url = _database_url()
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        try:
            engine = create_engine(url)
            with engine.connect() as connection:
                connection.execute(text("select 1"))
            engine.dispose()
        except Exception as error:  # pragma: no cover - depends on the machine
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL unreachable under CI: {error}")
            pytest.skip(f"PostgreSQL unreachable: {error}")
    return url


@pytest.fixture(scope="session")
def shared_platform(database_url: str) -> Iterator[Platform]:
    platform = Platform(database_url)
    if database_url.startswith("postgresql"):
        from simulator.db.models import Base

        Base.metadata.drop_all(platform.db.engine)
    platform.create_schema()
    yield platform
    platform.db.dispose()


@pytest.fixture
def platform(shared_platform: Platform) -> Platform:
    return shared_platform


@pytest.fixture
def sandbox_id(platform: Platform) -> Iterator[str]:
    """A fresh sandbox with its clock on 2021-08-16 09:00 (a declaration day)."""
    sid = f"t-{uuid.uuid4().hex[:10]}"
    platform.create_sandbox(sid, clock="2021-08-16")
    yield sid
    platform.delete_sandbox(sid)


@pytest.fixture
def app(platform: Platform):  # type: ignore[no-untyped-def]
    return create_app(TestConfig, platform=platform)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def mocks(app):  # type: ignore[no-untyped-def]
    """The mocked government services, reached in-process by the app's gateways."""
    with in_process_mocks(app):
        yield


@pytest.fixture
def demo(platform: Platform, sandbox_id: str) -> str:
    """A sandbox holding the ``demo`` world (docs/worlds.md)."""
    load_world(platform, sandbox_id, "demo")
    return sandbox_id
