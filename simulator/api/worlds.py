"""Worlds: list the loadable worlds and load one into a sandbox (``docs/worlds.md``).

Mounted by the ``worlds`` plugin (``scenarios/__init__.py``) through the
``register_blueprints`` hook.
"""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from simulator.api import ADMIN_RESPONSES, admin_only, platform, problem_response

world_tag = Tag(
    name="世界 worlds",
    description="Declarative data worlds (units, people, relations, history) loaded into a sandbox",
)

api = admin_only(  # sandbox administration: the trainer's key when one is configured
    APIBlueprint("worlds", __name__, url_prefix="/api/v1", abp_responses=ADMIN_RESPONSES)
)


class SandboxPath(BaseModel):
    sandbox_id: str = Field(description="sandbox id", max_length=64)


class WorldLoad(BaseModel):
    name: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
        description="a world's name, e.g. demo, suqian-80, every-error (GET /worlds)",
    )  # fmt: skip
    replace: bool = Field(
        False, description="empty the sandbox first when it already holds data (else 409)"
    )


@api.get("/worlds", tags=[world_tag], summary="The worlds that can be loaded by name")
def list_worlds():  # type: ignore[no-untyped-def]
    from simulator.worlds import list_worlds as worlds

    return {
        "worlds": [
            {"name": info.name, "description": info.description, "file": info.path.name}
            for info in worlds(platform())
        ]
    }


@api.post(
    "/sandboxes/<sandbox_id>/world",
    tags=[world_tag],
    summary="Load a world into a sandbox (sets its clock and location)",
)
def load_world(path: SandboxPath, body: WorldLoad):  # type: ignore[no-untyped-def]
    from simulator.worlds import WorldError
    from simulator.worlds import load_world as load

    try:
        summary = load(platform(), path.sandbox_id, body.name, replace=body.replace)
    except WorldError as error:
        return problem_response(error.as_problem())
    return summary.as_dict(), 201
