"""Identifiers the platform checks: 公民身份号码 (citizen ID number) and 统一社会信用代码 (USCC).

Every insured person (参保人) is keyed by their 公民身份号码 (GB 11643-1999) and
every employer (参保单位) by its 统一社会信用代码 (GB 32100-2015).  This module
validates both, parses out the facts they carry (birth date and gender; registration
authority, category and region), and generates valid ones deterministically for
scenarios and tests, using the real Jiangsu administrative division codes
(GB/T 2260) kept in ``data/jiangsu_regions.yaml``.

python-stdnum is used only for its check-character arithmetic: its
``stdnum.cn.ric.validate`` also demands that the region code existed in the birth
year (so it refuses many genuine IDs of people born before the mid-1980s) and its
``is_valid`` crashes with ``KeyError`` on some codes (e.g. 620201).  Faker's
``zh_CN`` ``ssn()`` is never used: its regions are random and its birth dates
are relative to today, so nothing it produces is reproducible.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

RESIDENT_ID_FIELD = "证件号码"
CREDIT_CODE_FIELD = "统一社会信用代码"
REGION_CODE_FIELD = "行政区划代码"

MALE = "男"
FEMALE = "女"

_ASCII_DIGITS = frozenset("0123456789")

# First two digits of every 公民身份号码 region code: the provinces of GB/T 2260,
# plus 81/82/83 used by the residence permits (居住证) of 香港/澳门/台湾 residents,
# which carry 18-character numbers built by the same rules.
# fmt: off
_PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15",              # 华北
    "21", "22", "23",                          # 东北
    "31", "32", "33", "34", "35", "36", "37",  # 华东
    "41", "42", "43", "44", "45", "46",        # 中南
    "50", "51", "52", "53", "54",              # 西南
    "61", "62", "63", "64", "65",              # 西北
    "71", "81", "82", "83",                    # 台湾, 香港, 澳门, 台湾居民居住证
})
# fmt: on

# GB 11643's own worked example (440524188001010014) was born in 1880, so the
# floor sits below it; it only refuses absurd years such as 0001.
EARLIEST_BIRTH_DATE = date(1800, 1, 1)

# GB 32100-2015: 18 characters over digits and capital letters without I, O, Z, S, V.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_CHARS = frozenset(CREDIT_CODE_ALPHABET)

# 登记管理部门代码 (char 1) -> its name and its 机构类别代码 (char 2), as published
# by the 全国组织机构统一社会信用代码数据服务中心 for GB 32100-2015.
REGISTRATION_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": (
        "机构编制",
        {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {
            "1": "外国旅游部门常驻代表机构",
            "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
            "9": "其他",
        },
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "其他"}),
}

# GB 11714 (组织机构代码): 8-character body + 1 check character, weights below,
# letters valued A=10 … Z=35.
_ORGANISATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORGANISATION_CODE_VALUES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Generated organisation code bodies are 8 decimal digits, like most codes issued
# before 2015.  The serial is spread over them by an affine permutation of
# 0 … 10^8-1 (the multiplier is coprime to 10), so consecutive serials give
# unrelated-looking codes yet distinct serials never collide.
_ORGANISATION_SERIAL_LIMIT = 10**8
_ORGANISATION_SERIAL_MULTIPLIER = 48_271_891
_ORGANISATION_SERIAL_OFFSET = 13_579_246

_REGIONS_FILE = Path(__file__).parent / "data" / "jiangsu_regions.yaml"


class InvalidIdentifier(ValueError):
    """An identifier the platform refuses, with the field and the reason in Chinese.

    ``field`` is ``'证件号码'``, ``'统一社会信用代码'`` or ``'行政区划代码'``.
    The offending value is deliberately not part of the message: identifiers are
    personal data and messages end up in logs.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ResidentId:
    """The facts a valid 公民身份号码 states about its holder."""

    number: str
    region_code: str  # where the birth was first registered; may be a since-abolished code
    birth_date: date
    gender: str  # '男' or '女'


@dataclass(frozen=True)
class CreditCode:
    """The parts of a valid 统一社会信用代码."""

    code: str
    authority: str  # 登记管理部门代码, e.g. '9' 工商
    category: str  # 机构类别代码, e.g. '1' 企业 (under authority '9')
    region_code: str  # 登记管理机关行政区划码
    organisation_code: str  # 主体标识码 (组织机构代码), 9 characters

    @property
    def authority_name(self) -> str:
        return REGISTRATION_AUTHORITIES[self.authority][0]

    @property
    def category_name(self) -> str:
        return REGISTRATION_AUTHORITIES[self.authority][1][self.category]


# --- 公民身份号码 ------------------------------------------------------------


def ric_check_digit(first17: str) -> str:
    """The check character (0-9 or X) of a 公民身份号码 whose first 17 digits are given."""
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise ValueError("first17 must be exactly 17 ASCII digits")
    # stdnum's calc_check_digit expects the full 18 characters and ignores the
    # last one; handing it only 17 would silently drop a real digit.
    return stdnum_ric.calc_check_digit(first17 + "0")


def parse_resident_id(number: str, *, today: date | None = None) -> ResidentId:
    """Validate a 公民身份号码 and return what it says, or raise :class:`InvalidIdentifier`.

    Surrounding whitespace is ignored and a lowercase ``x`` check character is
    accepted (people type it) and normalised to ``X``.  The region code is only
    checked for a real province prefix: IDs keep the code of the place where the
    birth was registered, which may have been abolished long ago.  When ``today``
    is given, a birth date after it is refused.
    """

    def refuse(reason: str) -> InvalidIdentifier:
        return InvalidIdentifier(RESIDENT_ID_FIELD, reason)

    normalised = number.strip()
    if normalised.endswith("x"):
        normalised = normalised[:-1] + "X"
    if len(normalised) != 18:
        raise refuse("证件号码长度应为18位")
    first17, check = normalised[:17], normalised[17]
    # str.isdigit() would let through full-width and other Unicode digits.
    if not _is_ascii_digits(first17) or not (check in _ASCII_DIGITS or check == "X"):
        raise refuse("证件号码格式错误，前17位应为数字，最后一位应为数字或X")
    # The check comes before the date so that a mistyped character is reported as
    # such wherever it falls.
    if ric_check_digit(first17) != check:
        raise refuse("证件号码校验位错误")
    region_code = first17[:6]
    if region_code[:2] not in _PROVINCE_CODES:
        raise refuse("证件号码中的地区码无效")
    birth_date = _birth_date(first17[6:14])
    if birth_date is None or birth_date < EARLIEST_BIRTH_DATE:
        raise refuse("证件号码中的出生日期无效")
    if today is not None and birth_date > today:
        raise refuse("证件号码中的出生日期晚于当前日期")
    gender = MALE if int(first17[16]) % 2 == 1 else FEMALE
    return ResidentId(
        number=normalised, region_code=region_code, birth_date=birth_date, gender=gender
    )


def generate_resident_id(region_code: str, birth_date: date, sequence: int, gender: str) -> str:
    """A valid 公民身份号码 for a person of this gender born on this date in this region.

    ``sequence`` (0-499) picks one of the 500 sequence codes of the gender: the
    3-digit 顺序码 is ``2 * sequence + 1`` for 男 and ``2 * sequence`` for 女, so the
    last digit's parity states the gender as GB 11643 requires.  Same arguments,
    same number.
    """
    if len(region_code) != 6 or not _is_ascii_digits(region_code):
        raise ValueError(f"region code must be 6 ASCII digits, not {region_code!r}")
    if not 0 <= sequence <= 499:
        raise ValueError(f"sequence must be between 0 and 499, not {sequence}")
    if gender not in (MALE, FEMALE):
        raise ValueError(f"gender must be '{MALE}' or '{FEMALE}', not {gender!r}")
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ValueError(f"birth date must not be before {EARLIEST_BIRTH_DATE}")
    sequence_code = 2 * sequence + (1 if gender == MALE else 0)
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence_code:03d}"
    number = first17 + ric_check_digit(first17)
    parse_resident_id(number)  # refuses a region code with no real province prefix
    return number


# --- 统一社会信用代码 --------------------------------------------------------


def uscc_check_char(first17: str) -> str:
    """The 18th (check) character of a 统一社会信用代码 whose first 17 characters are given."""
    if len(first17) != 17 or not set(first17) <= _CREDIT_CODE_CHARS:
        raise ValueError(f"first17 must be 17 characters of {CREDIT_CODE_ALPHABET}")
    return stdnum_uscc.calc_check_digit(first17)


def parse_credit_code(code: str) -> CreditCode:
    """Validate a 统一社会信用代码 and return its parts, or raise :class:`InvalidIdentifier`.

    Surrounding whitespace is ignored and lowercase letters are accepted and
    normalised to capitals.  The region code must be 6 digits but may lie outside
    Jiangsu: employers registered elsewhere also declare here.

    The GB 11714 check character inside the organisation code (chars 9-17) is not
    enforced: GB 32100 makes the 18th character the code's check, and refusing on
    the embedded one would risk turning away genuine codes we cannot verify.
    Generated codes do satisfy it.
    """

    def refuse(reason: str) -> InvalidIdentifier:
        return InvalidIdentifier(CREDIT_CODE_FIELD, reason)

    normalised = code.strip().upper()
    if len(normalised) != 18:
        raise refuse("统一社会信用代码长度应为18位")
    if not set(normalised) <= _CREDIT_CODE_CHARS:
        raise refuse("统一社会信用代码只能包含数字和大写字母（不使用I、O、Z、S、V）")
    if uscc_check_char(normalised[:17]) != normalised[17]:
        raise refuse("统一社会信用代码校验位错误")
    authority, category, region_code = normalised[0], normalised[1], normalised[2:8]
    if authority not in REGISTRATION_AUTHORITIES:
        raise refuse("统一社会信用代码中的登记管理部门代码无效")
    if category not in REGISTRATION_AUTHORITIES[authority][1]:
        raise refuse("统一社会信用代码中的机构类别代码无效")
    if not _is_ascii_digits(region_code):
        raise refuse("统一社会信用代码中的登记管理机关行政区划码无效")
    return CreditCode(
        code=normalised,
        authority=authority,
        category=category,
        region_code=region_code,
        organisation_code=normalised[8:17],
    )


def generate_credit_code(
    region_code: str, organisation_serial: int, *, authority: str = "9", category: str = "1"
) -> str:
    """A valid 统一社会信用代码 for the organisation with this serial in this region.

    ``organisation_serial`` (0 … 99 999 999) determines the 9-character
    organisation code: an 8-digit body plus its GB 11714 check character.  Same
    arguments, same code; different serials, different codes.
    """
    if len(region_code) != 6 or not _is_ascii_digits(region_code):
        raise ValueError(f"region code must be 6 ASCII digits, not {region_code!r}")
    if not 0 <= organisation_serial < _ORGANISATION_SERIAL_LIMIT:
        raise ValueError(
            f"organisation serial must be between 0 and {_ORGANISATION_SERIAL_LIMIT - 1}, "
            f"not {organisation_serial}"
        )
    if authority not in REGISTRATION_AUTHORITIES:
        raise ValueError(f"unknown registration authority code {authority!r}")
    if category not in REGISTRATION_AUTHORITIES[authority][1]:
        raise ValueError(f"unknown category {category!r} for registration authority {authority!r}")
    scrambled = (
        organisation_serial * _ORGANISATION_SERIAL_MULTIPLIER + _ORGANISATION_SERIAL_OFFSET
    ) % _ORGANISATION_SERIAL_LIMIT
    body = f"{scrambled:08d}"
    first17 = f"{authority}{category}{region_code}{body}{_organisation_code_check_char(body)}"
    return first17 + uscc_check_char(first17)


def _organisation_code_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(
        _ORGANISATION_CODE_VALUES.index(char) * weight
        for char, weight in zip(body, _ORGANISATION_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


# --- Jiangsu administrative divisions -----------------------------------------


def jiangsu_prefectures() -> dict[str, str]:
    """The 13 prefecture-level cities of Jiangsu: code -> name ('320100' -> '南京市')."""
    return dict(_regions()[0])


def jiangsu_counties() -> dict[str, str]:
    """Jiangsu's current county-level divisions: code -> name ('321302' -> '宿城区')."""
    return dict(_regions()[1])


def prefecture_of(region_code: str) -> str:
    """The prefecture-level city of a current Jiangsu region code ('321302' -> '321300').

    A prefecture code maps to itself.  Anything else (other provinces, abolished
    codes, the unlisted 市辖区 codes) raises :class:`InvalidIdentifier`, which is a
    ``ValueError``.
    """
    prefectures, counties = _regions()
    if region_code in prefectures:
        return region_code
    if region_code in counties:
        # GB/T 2260 nests codes: a county's prefecture shares its first four digits.
        return region_code[:4] + "00"
    raise InvalidIdentifier(REGION_CODE_FIELD, "不是江苏省现行的行政区划代码")


def region_name(region_code: str) -> str:
    """The name of a current Jiangsu prefecture or county-level code ('320102' -> '玄武区').

    County names are not unique across the province (南京 and 徐州 both have a
    鼓楼区); pair the name with its prefecture's where that matters.
    """
    prefectures, counties = _regions()
    name = prefectures.get(region_code) or counties.get(region_code)
    if name is None:
        raise InvalidIdentifier(REGION_CODE_FIELD, "不是江苏省现行的行政区划代码")
    return name


@functools.cache
def _regions() -> tuple[dict[str, str], dict[str, str]]:
    """Prefectures and counties from the YAML, read and checked once per process."""
    document: dict[str, Any] = yaml.safe_load(_REGIONS_FILE.read_text(encoding="utf-8"))
    prefectures: dict[str, str] = {}
    counties: dict[str, str] = {}
    for prefecture_code, prefecture in document["prefectures"].items():
        _check_region_code(prefecture_code, prefix="32")
        if not prefecture_code.endswith("00"):
            raise ValueError(f"{_REGIONS_FILE}: {prefecture_code} is not a prefecture code")
        prefectures[prefecture_code] = prefecture["name"]
        for county_code, county_name in prefecture["counties"].items():
            _check_region_code(county_code, prefix=prefecture_code[:4])
            if county_code in counties:
                raise ValueError(f"{_REGIONS_FILE}: county {county_code} listed twice")
            counties[county_code] = county_name
    return prefectures, counties


def _check_region_code(code: object, *, prefix: str) -> None:
    # Guards against an unquoted code (read as int) or a county filed under the
    # wrong city when the data file is edited.
    if not (isinstance(code, str) and len(code) == 6 and code.startswith(prefix)):
        raise ValueError(f"{_REGIONS_FILE}: bad region code {code!r} (expected {prefix}….)")


# --- helpers ---------------------------------------------------------------------


def _is_ascii_digits(text: str) -> bool:
    return bool(text) and set(text) <= _ASCII_DIGITS


def _birth_date(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
