"""ShebaoSim — a sandbox simulator of the Jiangsu provincial HR & social-security
integrated platform (省人社一体化信息平台), employer side (用人单位社保网办).

Plugins implement hooks declared in :mod:`simulator.hookspecs` with the
:data:`hookimpl` marker re-exported here::

    from simulator import hookimpl

    @hookimpl
    def register_items():
        return [MyItem()]
"""

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "simulator"
ENTRY_POINT_GROUP = "shebao_sim"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["ENTRY_POINT_GROUP", "PROJECT_NAME", "__version__", "hookimpl"]
