"""Cities (参保地): the province's prefecture-level cities, as plugins declare them.

The core knows no city by name: the provincial baseline plugin registers the
thirteen prefectures and city plugins add their own rules.  A unit's city
follows from its region code (the first four digits, GB/T 2260).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The code standing for "the province as a whole" (no city plugin applies).
PROVINCE_CODE = "320000"


@dataclass(frozen=True)
class City:
    code: str  # six-digit prefecture code, e.g. '320500'
    name: str  # e.g. '苏州市'
    #: how the certificate names the insuring place at city level, e.g. 宿迁市市本级
    insured_place_label: str = ""

    @property
    def is_province(self) -> bool:
        return self.code == PROVINCE_CODE

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "insured_place_label": self.insured_place_label or f"{self.name}市本级",
        }


PROVINCE = City(PROVINCE_CODE, "江苏省", "江苏省省本级")


def prefecture_code(region_code: str) -> str:
    """'321302' → '321300': the prefecture a county-level code belongs to."""
    if len(region_code) != 6 or not region_code.isdigit():
        raise ValueError(f"not a region code: {region_code!r}")
    return region_code[:4] + "00"
