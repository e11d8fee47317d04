"""What this simulator is made of: plugins, business items, cities."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from simulator import __version__
from simulator.api import ERROR_RESPONSES, platform
from simulator.plugin_manager import blocked_names, plugin_summary

meta_tag = Tag(
    name="元数据 meta", description="Plugins, business items and cities of this simulator"
)

api = APIBlueprint("meta", __name__, url_prefix="/api/v1", abp_responses=ERROR_RESPONSES)


@api.get("/about", tags=[meta_tag], summary="Version and links")
def index():  # type: ignore[no-untyped-def]
    return {
        "name": "ShebaoSim",
        "version": __version__,
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/swagger",
    }


@api.get("/plugins", tags=[meta_tag], summary="Loaded plugins and the hooks they implement")
def plugins():  # type: ignore[no-untyped-def]
    """``plugins``: what is loaded; ``blocked``: the names ``SHEBAO_SIM_BLOCK_PLUGINS``
    turned off (never loaded, so not in ``plugins``)."""
    manager = platform().pm
    return {"plugins": plugin_summary(manager), "blocked": blocked_names(manager)}


@api.get("/items", tags=[meta_tag], summary="Business items (事项)")
def items():  # type: ignore[no-untyped-def]
    return {"items": [item.describe() for item in platform().items.values()]}


@api.get("/cities", tags=[meta_tag], summary="Cities (参保地) known to the platform")
def cities():  # type: ignore[no-untyped-def]
    return {"cities": [city.as_dict() for city in platform().cities.values()]}
