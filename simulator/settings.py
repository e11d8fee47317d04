"""Where the embedded defaults live: the instance folder and its SQLite database."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "SHEBAO_SIM_HOME"
DATABASE_ENV = "SHEBAO_SIM_DATABASE_URL"


def instance_dir() -> Path:
    """``$SHEBAO_SIM_HOME``, or ``./instance`` under the working directory."""
    return Path(os.environ.get(HOME_ENV) or Path.cwd() / "instance").resolve()


def database_url(explicit: str | None = None) -> str:
    """The database to use: explicit, then ``$SHEBAO_SIM_DATABASE_URL``, then embedded SQLite."""
    if explicit:
        return explicit
    if os.environ.get(DATABASE_ENV):
        return os.environ[DATABASE_ENV]
    folder = instance_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'shebao-sim.db'}"
