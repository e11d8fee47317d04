"""公民身份号码 (GB 11643-1999) and 统一社会信用代码 (GB 32100-2015): validation, parsing,
deterministic generation, and the Jiangsu region codes (GB/T 2260).

Check characters are recomputed here from the standards' own weights, independently
of the implementation (which delegates the arithmetic to python-stdnum)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric

from simulator.identifiers import (
    CREDIT_CODE_ALPHABET,
    CreditCode,
    InvalidIdentifier,
    ResidentId,
    generate_credit_code,
    generate_resident_id,
    jiangsu_counties,
    jiangsu_prefectures,
    parse_credit_code,
    parse_resident_id,
    prefecture_of,
    region_name,
    ric_check_digit,
    uscc_check_char,
)

# --- independent reference arithmetic ------------------------------------------------

RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK_MAP = "10X98765432"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def reference_ric_check(first17: str) -> str:
    return RIC_CHECK_MAP[sum(int(d) * w for d, w in zip(first17, RIC_WEIGHTS, strict=True)) % 11]


def reference_uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def reference_organisation_check(body: str) -> str:
    values = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = sum(values.index(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def test_reference_weights_are_the_standards():
    assert [2 ** (17 - i) % 11 for i in range(17)] == list(RIC_WEIGHTS)
    assert [3**i % 31 for i in range(17)] == list(USCC_WEIGHTS)
    assert USCC_ALPHABET == CREDIT_CODE_ALPHABET
    # GB 11714 examples (中共温州市委办公室 00251805-7, … 00251809-X).
    assert reference_organisation_check("00251805") == "7"
    assert reference_organisation_check("00251809") == "X"


# --- strategies --------------------------------------------------------------------

county_codes = st.sampled_from(sorted(jiangsu_counties()))
birth_dates = st.dates(min_value=date(1940, 1, 1), max_value=date(2008, 12, 31))
sequences = st.integers(min_value=0, max_value=499)
genders = st.sampled_from(["男", "女"])
serials = st.integers(min_value=0, max_value=10**8 - 1)
authority_categories = st.sampled_from(
    [("9", "1"), ("9", "2"), ("9", "3"), ("1", "1"), ("1", "2"), ("5", "1"), ("5", "2"), ("Y", "1")]
)

# --- 公民身份号码 --------------------------------------------------------------------


def test_standard_examples_validate():
    # GB 11643-1999's own worked examples.
    assert parse_resident_id("11010519491231002X") == ResidentId(
        "11010519491231002X", "110105", date(1949, 12, 31), "女"
    )
    assert parse_resident_id("440524188001010014").gender == "男"


@pytest.mark.parametrize(
    ("first17", "birth_date", "gender"),
    [
        ("32010219900517002", date(1990, 5, 17), "女"),  # 南京市玄武区
        ("32130219850101123", date(1985, 1, 1), "男"),  # 宿迁市宿城区
        ("32058320000229456", date(2000, 2, 29), "女"),  # 苏州昆山市, leap day
    ],
)
def test_hand_computed_ids_validate(first17, birth_date, gender):
    number = first17 + reference_ric_check(first17)
    assert ric_check_digit(first17) == number[-1]
    parsed = parse_resident_id(number, today=date(2024, 1, 1))
    assert parsed == ResidentId(number, first17[:6], birth_date, gender)


def test_lowercase_x_and_surrounding_spaces_are_normalised():
    assert parse_resident_id(" 11010519491231002x ").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("1101051949123100", "证件号码长度应为18位"),
        ("11010519491231002X0", "证件号码长度应为18位"),
        ("", "证件号码长度应为18位"),
        ("1101051949123100XX", "证件号码格式错误，前17位应为数字，最后一位应为数字或X"),
        ("11010519491231002Y", "证件号码格式错误，前17位应为数字，最后一位应为数字或X"),
        (
            "1101051949123１002X",
            "证件号码格式错误，前17位应为数字，最后一位应为数字或X",
        ),  # full-width 1
        ("110105194912310021", "证件号码校验位错误"),
        ("440524188001010013", "证件号码校验位错误"),
    ],
)
def test_malformed_ids_are_refused(number, reason):
    with pytest.raises(InvalidIdentifier) as refused:
        parse_resident_id(number)
    assert refused.value.field == "证件号码"
    assert refused.value.reason == reason
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    "yyyymmdd",
    ["19900230", "19890229", "19901301", "19900000", "19900431", "00010101", "17991231"],
)
def test_impossible_birth_dates_are_refused_even_with_a_correct_check_digit(yyyymmdd):
    first17 = f"320102{yyyymmdd}001"
    number = first17 + reference_ric_check(first17)
    with pytest.raises(InvalidIdentifier, match="证件号码中的出生日期无效"):
        parse_resident_id(number)


def test_future_birth_date_is_refused_only_when_today_is_given():
    first17 = "32010220300101001"
    number = first17 + reference_ric_check(first17)
    assert parse_resident_id(number).birth_date == date(2030, 1, 1)
    assert parse_resident_id(number, today=date(2030, 1, 1)).birth_date == date(2030, 1, 1)
    with pytest.raises(InvalidIdentifier) as refused:
        parse_resident_id(number, today=date(2029, 12, 31))
    assert refused.value.reason == "证件号码中的出生日期晚于当前日期"


def test_region_without_a_real_province_is_refused():
    first17 = "99010219900101001"
    with pytest.raises(InvalidIdentifier, match="地区码"):
        parse_resident_id(first17 + reference_ric_check(first17))


def test_gender_follows_the_parity_of_the_17th_digit():
    for last_sequence_digit in range(10):
        first17 = f"3201021990051700{last_sequence_digit}"
        parsed = parse_resident_id(first17 + reference_ric_check(first17))
        assert parsed.gender == ("男" if last_sequence_digit % 2 else "女")


def test_old_region_codes_that_stdnum_refuses_are_accepted():
    # 江宁区 320115 dates from 2000 (江宁县 before), so stdnum refuses someone born there
    # in 1960 — but such IDs were issued and are still in use.
    number = generate_resident_id("320115", date(1960, 3, 8), 12, "男")
    assert not stdnum_ric.is_valid(number), "stdnum no longer refuses it: pick another example"
    assert parse_resident_id(number).birth_date == date(1960, 3, 8)
    # 港闸区 320611 was abolished in 2020 but stays in the IDs of people born there.
    assert parse_resident_id(generate_resident_id("320611", date(1975, 6, 1), 3, "女"))


def test_region_on_which_stdnum_crashes_is_handled():
    first17 = "62020119800101123"  # 嘉峪关市市辖区: stdnum's is_valid raises KeyError
    assert parse_resident_id(first17 + reference_ric_check(first17)).region_code == "620201"


def test_generated_id_sequence_and_gender():
    assert generate_resident_id("320102", date(1990, 5, 17), 0, "女")[14:17] == "000"
    assert generate_resident_id("320102", date(1990, 5, 17), 0, "男")[14:17] == "001"
    assert generate_resident_id("320102", date(1990, 5, 17), 499, "男")[14:17] == "999"
    assert generate_resident_id("320102", date(1990, 5, 17), 499, "女")[14:17] == "998"


@pytest.mark.parametrize(
    ("region", "born", "sequence", "gender"),
    [
        ("32010", date(1990, 1, 1), 0, "男"),
        ("320102", date(1990, 1, 1), 500, "男"),
        ("320102", date(1990, 1, 1), -1, "男"),
        ("320102", date(1990, 1, 1), 0, "M"),
        ("990102", date(1990, 1, 1), 0, "男"),
        ("320102", date(1799, 12, 31), 0, "男"),
    ],
)
def test_generation_refuses_bad_arguments(region, born, sequence, gender):
    with pytest.raises(ValueError):
        generate_resident_id(region, born, sequence, gender)


@settings(max_examples=150)
@given(region=county_codes, born=birth_dates, sequence=sequences, gender=genders)
def test_generated_ids_validate_and_round_trip(region, born, sequence, gender):
    number = generate_resident_id(region, born, sequence, gender)
    assert number == generate_resident_id(region, born, sequence, gender)  # deterministic
    assert number[-1] == reference_ric_check(number[:17])
    assert parse_resident_id(number, today=date(2024, 1, 1)) == ResidentId(
        number, region, born, gender
    )
    assert int(number[14:17]) // 2 == sequence


@settings(max_examples=60)
@given(region=county_codes, born=birth_dates, sequence=sequences, gender=genders)
def test_every_single_character_change_in_an_id_is_caught(region, born, sequence, gender):
    number = generate_resident_id(region, born, sequence, gender)
    for position in range(18):
        # 'X' is allowed only last, but is tried everywhere: a misplaced X is an error too.
        for replacement in "0123456789X":
            if replacement == number[position]:
                continue
            mutated = number[:position] + replacement + number[position + 1 :]
            with pytest.raises(InvalidIdentifier):
                parse_resident_id(mutated)


# --- 统一社会信用代码 ----------------------------------------------------------------


def test_hand_computed_credit_code_validates():
    first17 = "91320102" + "00251805" + "7"
    code = first17 + reference_uscc_check(first17)
    assert uscc_check_char(first17) == code[-1]
    assert parse_credit_code(code) == CreditCode(code, "9", "1", "320102", "002518057")
    assert parse_credit_code(code.lower()).code == code


def test_credit_code_parts_have_names():
    first17 = "52321302" + "MA1XYW12" + "3"
    parsed = parse_credit_code(first17 + reference_uscc_check(first17))
    assert (parsed.authority_name, parsed.category_name) == ("民政", "民办非企业单位")


def _with_check(first17: str) -> str:
    return first17 + reference_uscc_check(first17)


def _with_wrong_check(first17: str) -> str:
    right = reference_uscc_check(first17)
    return first17 + next(c for c in USCC_ALPHABET if c != right)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91320102002518057", "统一社会信用代码长度应为18位"),
        ("91320102002518057AA", "统一社会信用代码长度应为18位"),
        ("91320102O0251805I7", "统一社会信用代码只能包含数字和大写字母（不使用I、O、Z、S、V）"),
        ("9132010200251805-7", "统一社会信用代码只能包含数字和大写字母（不使用I、O、Z、S、V）"),
        (_with_wrong_check("91320102002518057"), "统一社会信用代码校验位错误"),
        (_with_check("B1320102002518057"), "统一社会信用代码中的登记管理部门代码无效"),
        (_with_check("94320102002518057"), "统一社会信用代码中的机构类别代码无效"),
        (_with_check("913201A2002518057"), "统一社会信用代码中的登记管理机关行政区划码无效"),
    ],
)
def test_malformed_credit_codes_are_refused(code, reason):
    with pytest.raises(InvalidIdentifier) as refused:
        parse_credit_code(code)
    assert refused.value.field == "统一社会信用代码"
    assert refused.value.reason == reason


def test_generation_refuses_bad_credit_code_arguments():
    for region, serial, authority, category in [
        ("3201", 1, "9", "1"),
        ("320102", 10**8, "9", "1"),
        ("320102", -1, "9", "1"),
        ("320102", 1, "B", "1"),
        ("320102", 1, "9", "9"),
    ]:
        with pytest.raises(ValueError):
            generate_credit_code(region, serial, authority=authority, category=category)


def test_distinct_serials_give_distinct_credit_codes():
    codes = {generate_credit_code("320102", serial) for serial in range(5000)}
    assert len(codes) == 5000


@settings(max_examples=150)
@given(region=county_codes, serial=serials, kind=authority_categories)
def test_generated_credit_codes_validate_and_round_trip(region, serial, kind):
    authority, category = kind
    code = generate_credit_code(region, serial, authority=authority, category=category)
    assert code == generate_credit_code(region, serial, authority=authority, category=category)
    assert code[-1] == reference_uscc_check(code[:17])
    organisation_code = code[8:17]
    assert organisation_code[-1] == reference_organisation_check(organisation_code[:8])
    assert parse_credit_code(code) == CreditCode(
        code, authority, category, region, organisation_code
    )


@settings(max_examples=30)
@given(region=county_codes, serial=serials, kind=authority_categories)
def test_every_single_character_change_in_a_credit_code_is_caught(region, serial, kind):
    code = generate_credit_code(region, serial, authority=kind[0], category=kind[1])
    for position in range(18):
        for replacement in CREDIT_CODE_ALPHABET:
            if replacement == code[position]:
                continue
            mutated = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(InvalidIdentifier):
                parse_credit_code(mutated)


# --- Jiangsu administrative divisions -----------------------------------------------


def test_jiangsu_has_thirteen_prefectures():
    assert jiangsu_prefectures() == {
        "320100": "南京市",
        "320200": "无锡市",
        "320300": "徐州市",
        "320400": "常州市",
        "320500": "苏州市",
        "320600": "南通市",
        "320700": "连云港市",
        "320800": "淮安市",
        "320900": "盐城市",
        "321000": "扬州市",
        "321100": "镇江市",
        "321200": "泰州市",
        "321300": "宿迁市",
    }


def test_every_county_belongs_to_a_prefecture():
    prefectures = jiangsu_prefectures()
    counties = jiangsu_counties()
    assert len(counties) == 95
    for code in counties:
        assert prefecture_of(code) in prefectures
        assert not code.endswith("01"), "市辖区 codes are not listed"
    assert {prefecture_of(code) for code in counties} == set(prefectures)


@pytest.mark.parametrize(
    ("code", "name", "prefecture"),
    [
        ("320102", "玄武区", "320100"),
        ("320118", "高淳区", "320100"),
        ("321302", "宿城区", "321300"),
        ("321311", "宿豫区", "321300"),
        ("320583", "昆山市", "320500"),
        ("320413", "金坛区", "320400"),
        ("320613", "崇川区", "320600"),
        ("320302", "鼓楼区", "320300"),
        ("321300", "宿迁市", "321300"),
    ],
)
def test_region_lookup(code, name, prefecture):
    assert region_name(code) == name
    assert prefecture_of(code) == prefecture


@pytest.mark.parametrize("code", ["110105", "320101", "320611", "320684", "32", "", "3201021"])
def test_non_current_jiangsu_codes_are_refused(code):
    with pytest.raises(InvalidIdentifier) as refused:
        prefecture_of(code)
    assert refused.value.field == "行政区划代码"
    with pytest.raises(ValueError):
        region_name(code)


def test_lookups_return_copies():
    jiangsu_counties().clear()
    jiangsu_prefectures().clear()
    assert len(jiangsu_counties()) == 95
    assert len(jiangsu_prefectures()) == 13
