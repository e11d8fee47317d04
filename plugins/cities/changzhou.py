"""常州 (320400) — guide §三.4: 新业态工伤 is an extra 参保身份 of 人员参保登记 (I4-1).

Stated as a parameter overlay that adds one row to the 参保身份 table, so the item
itself knows no city.
"""

from __future__ import annotations

from typing import Any

from simulator import hookimpl
from simulator.cities import City

CHANGZHOU = "320400"


@hookimpl
def register_city_parameters(city: City) -> list[dict[str, Any]]:
    if city.code != CHANGZHOU:
        return []
    return [
        {
            "identities": {
                "208": {
                    "description": "新业态工伤（常州）",
                    "metadata": {
                        "reference": "《用人单位社保网办业务操作指南》 G §三.4: 新业态工伤（常州）",
                        "confidence": "secondary",
                    },
                    "values": {
                        "2021-08-01": {
                            "value": {
                                "label": "新业态工伤",
                                "item": "person_enrolment",
                                "insurance_codes": ["410"],
                            }
                        }
                    },
                }
            }
        }
    ]
