"""pytest-bdd wiring: the driver (in-process or ``--sim-url``) and the shared steps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bdd.drivers import Driver, HttpDriver, InProcessDriver
from bdd.steps import *  # noqa: F403  (step definitions are found through this module)
from bdd.steps_accounts import *  # noqa: F403
from bdd.steps_batch import *  # noqa: F403
from bdd.steps_changes import *  # noqa: F403
from bdd.steps_items import *  # noqa: F403
from bdd.steps_queries import *  # noqa: F403
from bdd.steps_registration import *  # noqa: F403
from simulator.platform import Platform


@pytest.fixture(scope="session")
def driver(request: pytest.FixtureRequest, shared_platform: Platform) -> Driver:
    url = request.config.getoption("--sim-url")
    if url:
        return HttpDriver(url)
    return InProcessDriver(shared_platform)


@pytest.fixture
def world_state() -> dict:
    """What a scenario has learnt so far (sandbox, last reply …)."""
    return {}


@pytest.fixture(autouse=True)
def _cleanup_sandbox(driver: Driver, world_state: dict) -> Iterator[None]:
    yield
    if "sandbox" in world_state:
        driver.delete_sandbox(world_state["sandbox"])
