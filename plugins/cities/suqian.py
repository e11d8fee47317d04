"""宿迁 (321300) — the guide's sample unit (§四 打印证明): 现参保地 is printed as 宿迁市市本级."""

from __future__ import annotations

from simulator import hookimpl
from simulator.cities import City


@hookimpl
def register_cities() -> list[City]:
    return [City("321300", "宿迁市", insured_place_label="宿迁市市本级")]
