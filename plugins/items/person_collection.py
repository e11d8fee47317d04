"""人员基础信息采集 — guide §三.2 and §五 问题三(1), FAQ 常见报错 4 and 6; I2-1 … I2-6.

Used when 用人单位用工参保登记 answers ``未获取到人员基本信息`` (I3-4): the unit
collects the base record (人员基础信息) of a person the province does not know
yet, one at a time or in batch from the template (I2-5).

* Only holders of a 居民身份证 are collected here (I2-1); others go to the counter.
* The form (I2-6, ★ = required): 证件类型★, 证件号码★, 国家/地区, 姓名★, 性别★,
  民族★, 出生日期★, 移动电话★, 户籍性质★, 居住地址, 户籍地行政区划★, 户籍地址★;
  optional 学历, 政治面貌, 所学专业, 技能等级, 职位.  The 证件号码 must pass the
  GB 11643 check and agree with 出生日期 and 性别 (the 17th digit's parity).
* (证件号码, 姓名) is compared with public security (公安部人员基准信息, I2-2): a
  mismatch or an unknown person → ``公安部门比对不成功，请至窗口办理``; a failing
  service → ``调用公安部人员基准信息查询接口出错。请稍后或第二天再试`` with nothing
  stored, so the same request can simply be repeated (I2-3).
* A person the platform already has → ``人员信息已采集，人员编号为{人员编号}`` (I2-4,
  F E4): the unit goes straight to 用工参保登记.

Order of the checks: the form (everything that needs no data) is checked in
``consult`` *before* public security is asked, so a mistyped row never reaches
the service; then, in ``validate``, the code tables, an existing record (I2-4)
and only then the comparison's answer (I2-2, I2-3) — a person already collected
hears so even while the service is down.

人员编号 (= 个人唯一识别码) is the city's six-digit code followed by a ten-digit
per-sandbox sequence (16 digits, as world files number people).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from plugins.items.common import check_choice, choices, parse_date, require, text
from simulator import hookimpl
from simulator.context import BusinessContext
from simulator.db.models import Person
from simulator.errors import INVALID_INPUT, ErrorSpec, Refused
from simulator.gateways import GatewayError, IdentityAnswer
from simulator.identifiers import FEMALE, MALE, InvalidIdentifier, parse_resident_id
from simulator.items import BusinessItem, Choice, FormField, ItemResult
from simulator.workbooks import Column

if TYPE_CHECKING:
    from simulator.gateways import Gateways

# --- the documented errors ------------------------------------------------------------------

ID_TYPE_NOT_SUPPORTED = ErrorSpec(
    code="E_ID_TYPE_NOT_SUPPORTED",
    message="此模块仅办理持有居民身份证的人员信息采集",
    remedy=(
        "持护照、港澳台居民来往内地通行证、外国人永久居留身份证等其他证件的人员，"
        "请持本人有效证件至社保经办机构窗口办理人员基础信息采集。"
    ),
    behaviour_id="I2-1",
    http_status=400,
)
ID_NUMBER_INVALID = ErrorSpec(
    code="E_ID_NUMBER_INVALID",
    message="{reason}",
    remedy="请核对居民身份证号码（18位，最后一位为校验码，可能为X）后重新填写。",
    behaviour_id="I2-6",
    http_status=400,
)
BIRTH_DATE_MISMATCH = ErrorSpec(
    code="E_BIRTH_DATE_MISMATCH",
    message="出生日期与证件号码不一致",
    remedy="出生日期应与证件号码第7至14位一致，请核对后重新填写。",
    behaviour_id="I2-6",
    http_status=400,
)
GENDER_MISMATCH = ErrorSpec(
    code="E_GENDER_MISMATCH",
    message="性别与证件号码不一致",
    remedy="证件号码第17位为奇数的为男性、偶数的为女性，请核对后重新填写。",
    behaviour_id="I2-6",
    http_status=400,
)
MOBILE_INVALID = ErrorSpec(
    code="E_MOBILE_FORMAT",
    message="移动电话格式不正确",
    remedy="请填写本人11位手机号码。",
    behaviour_id="I2-6",
    http_status=400,
)
IDENTITY_MISMATCH = ErrorSpec(
    code="E_IDENTITY_MISMATCH",
    message="公安部门比对不成功，请至窗口办理",
    remedy="请持本人有效身份证件至社保经办机构窗口办理人员基础信息采集",
    behaviour_id="I2-2",
)
PERSON_EXISTS = ErrorSpec(
    code="E_PERSON_EXISTS",
    message="人员信息已采集，人员编号为{person_no}",
    remedy="该人员在省一体化信息平台内已经存在人员基本信息，可以直接进行用人单位用工参保登记",
    behaviour_id="I2-4",
)

RESIDENT_ID_CARD = "居民身份证"
#: 证件类型 as typed or as the national code (GB/T: 01 = 居民身份证)
RESIDENT_ID_CARD_SPELLINGS = frozenset({RESIDENT_ID_CARD, "01", "1", "居民身份证（户口簿）"})
GENDERS = {"男": MALE, "女": FEMALE, "1": MALE, "2": FEMALE}
#: 国家/地区 of a 居民身份证 holder: China, however it is written (empty: China)
CHINA = "中国"
CHINA_SPELLINGS = frozenset({CHINA, "中华人民共和国", "CHN", "156"})
MOBILE = re.compile(r"^1[3-9]\d{9}$")
REGION_CODE = re.compile(r"^[1-8]\d{5}$")

#: the form in the guide's order (I2-6): key → (label, required)
FIELDS: dict[str, tuple[str, bool]] = {
    "id_type": ("证件类型", True),
    "id_number": ("证件号码", True),
    "nationality": ("国家/地区", False),
    "name": ("姓名", True),
    "gender": ("性别", True),
    "ethnicity": ("民族", True),
    "birth_date": ("出生日期", True),
    "mobile": ("移动电话", True),
    "hukou_nature": ("户籍性质", True),
    "residence_address": ("居住地址", False),
    "hukou_region": ("户籍地行政区划", True),
    "hukou_address": ("户籍地址", True),
    "education": ("学历", False),
    "political_status": ("政治面貌", False),
    "major": ("所学专业", False),
    "skill_level": ("技能等级", False),
    "position": ("职位", False),
}
REQUIRED = {key: label for key, (label, required) in FIELDS.items() if required}
OPTIONAL_TEXT_FIELDS = ("residence_address", "education", "political_status", "major",
                        "skill_level", "position")  # fmt: skip


@dataclass(frozen=True)
class PersonForm:
    """A checked form: what the unit declared about the person."""

    id_number: str
    name: str
    gender: str
    birth_date: date
    nationality: str
    ethnicity: str
    mobile: str
    hukou_region: str
    hukou_address: str
    optional: dict[str, str]


def check_form(payload: dict[str, Any]) -> PersonForm:
    """Every rule of the form that needs no data (I2-1, I2-6); raises the first refusal."""
    id_type = text(payload, "id_type")
    if id_type and id_type not in RESIDENT_ID_CARD_SPELLINGS:
        raise ID_TYPE_NOT_SUPPORTED.refuse(field="id_type")
    require(payload, REQUIRED)
    try:
        resident = parse_resident_id(text(payload, "id_number"))
    except InvalidIdentifier as error:
        raise ID_NUMBER_INVALID.refuse(field="id_number", reason=error.reason) from None
    gender = GENDERS.get(text(payload, "gender"))
    if gender is None:
        raise INVALID_INPUT.refuse(
            field="gender", message=f"性别取值不正确：{text(payload, 'gender')}"
        )
    if gender != resident.gender:
        raise GENDER_MISMATCH.refuse(field="gender")
    birth_date = parse_date(payload, "birth_date", "出生日期")
    if birth_date != resident.birth_date:
        raise BIRTH_DATE_MISMATCH.refuse(field="birth_date")
    nationality = text(payload, "nationality") or CHINA
    if nationality not in CHINA_SPELLINGS:
        raise INVALID_INPUT.refuse(
            field="nationality", message="持居民身份证人员的国家/地区应为中国"
        )
    mobile = text(payload, "mobile")
    if not MOBILE.match(mobile):
        raise MOBILE_INVALID.refuse(field="mobile")
    hukou_region = text(payload, "hukou_region")
    if not REGION_CODE.match(hukou_region):
        raise INVALID_INPUT.refuse(
            field="hukou_region", message="户籍地行政区划应为6位行政区划代码"
        )
    return PersonForm(
        id_number=resident.number,
        name=text(payload, "name"),
        gender=gender,
        birth_date=resident.birth_date,
        nationality=CHINA,
        ethnicity=text(payload, "ethnicity"),
        mobile=mobile,
        hukou_region=hukou_region,
        hukou_address=text(payload, "hukou_address"),
        optional={key: text(payload, key) for key in OPTIONAL_TEXT_FIELDS},
    )


def existing_person_nos(ctx: BusinessContext, id_number: str) -> list[str]:
    return list(
        ctx.session.scalars(
            select(Person.person_no)
            .where(Person.sandbox_id == ctx.sandbox.id, Person.id_number == id_number)
            .order_by(Person.id)
        )
    )


class PersonCollection(BusinessItem):
    code = "person_collection"
    name = "人员基础信息采集"
    window_tabs = ("采集申报", "批量采集申报")
    guide_hint = (
        "首次办理参保的职工，需先进行人员基础信息采集。此模块仅办理持有居民身份证的人"
        "员信息，录入的信息将与公安部门进行比对，比对不成功的需至窗口办理。支持批量办"
        "理采集。"
    )
    looks_up_person = False
    guide_section = "G §三.2"
    changes_insurance = False  # PER-2: open on the paused days
    needs_unit = True
    batch_columns = tuple(
        Column(key, label, required=required) for key, (label, required) in FIELDS.items()
    )
    batch_notes = (
        "带★的为必填项；此模块仅办理持有居民身份证的人员信息采集（证件类型填写“居民身份证”）。",
        "出生日期格式为YYYY-MM-DD，须与证件号码一致；性别须与证件号码第17位一致（奇数为男）。",
        "户籍性质：11 本地非农业，12 外地非农业，21 本地农业，22 外地农业，30 港澳台侨。",
        "户籍地行政区划填写6位行政区划代码，如320102。",
        "录入的信息将与公安部门进行比对，比对不成功的需至窗口办理。",
    )

    def form(self, context: BusinessContext) -> list[FormField]:
        return collection_form(context, (RESIDENT_ID_CARD,))

    # -- public security, before the transaction --------------------------------------------
    def consult(
        self, services: Gateways, sandbox_id: str, payload: dict[str, Any], **_: Any
    ) -> dict[str, Any]:
        """Check the form, then compare (证件号码, 姓名) with public security (I2-2, I2-3).

        A form error refuses at once (the service is not asked).  The service's
        answer — or its failure — is kept for ``validate`` to judge after I2-4.
        """
        form = check_form(payload)
        try:
            answer = services.identity.verify(sandbox_id, form.id_number, form.name)
        except GatewayError as error:
            return {"identity_refusal": error.refusal()}
        return {"identity": answer}

    # -- the rules ------------------------------------------------------------------------------
    def validate(self, context: BusinessContext, payload: dict[str, Any]) -> None:
        form = check_form(payload)
        hukou_nature = check_choice(
            payload, "hukou_nature", "户籍性质", context.parameters().value("codes.hukou_natures")
        )
        existing = existing_person_nos(context, form.id_number)
        if existing:
            raise PERSON_EXISTS.refuse(field="id_number", person_no="、".join(existing))
        refusal = context.consulted.get("identity_refusal")
        if isinstance(refusal, Refused):
            raise refusal  # I2-3: nothing stored, the same request can be repeated
        answer = context.consulted.get("identity")
        if not isinstance(answer, IdentityAnswer):
            # consult was not run (a direct submit_in): no comparison, no collection
            raise GatewayError("identity", "malformed", "no comparison was made").refusal()
        if not answer.matched or answer.facts is None:
            problem = IDENTITY_MISMATCH.error(field="name")
            raise Refused(dataclasses.replace(problem, details={"result": answer.result}))
        facts = answer.facts
        context.note("public security confirms (证件号码, 姓名)", behaviour_id="I2-2")
        differences = {
            label: registered
            for label, typed, registered in (
                ("民族", form.ethnicity, facts.ethnicity),
                ("户籍地行政区划", form.hukou_region, facts.hukou_region),
            )
            if typed != registered
        }
        if differences:
            context.note("typed values differ from public security's; kept as typed",
                         behaviour_id="I2-6", **differences)  # fmt: skip
        context.scratch["person"] = (form, hukou_nature)

    # -- the effects ------------------------------------------------------------------------------
    def apply(self, context: BusinessContext, payload: dict[str, Any]) -> ItemResult:
        form, hukou_nature = context.scratch["person"]
        person_no = f"{context.city.code}{context.next_number('person'):010d}"
        person = Person(
            sandbox_id=context.sandbox.id,
            person_no=person_no,
            id_type=RESIDENT_ID_CARD,
            id_number=form.id_number,
            name=form.name,
            gender=form.gender,
            birth_date=form.birth_date,
            ethnicity=form.ethnicity,
            nationality=form.nationality,
            mobile=form.mobile,
            hukou_nature=hukou_nature,
            hukou_region=form.hukou_region,
            hukou_address=form.hukou_address,
            created_at=context.now,
            **form.optional,
        )
        context.session.add(person)
        context.session.flush()
        return ItemResult(
            message="人员信息已采集",
            person_id=person.id,
            data={
                "person_no": person.person_no,
                "id_number": person.id_number,
                "name": person.name,
                "gender": person.gender,
                "birth_date": person.birth_date.isoformat(),
                "ethnicity": person.ethnicity,
                "mobile": person.mobile,
                "hukou_nature": person.hukou_nature,
                "hukou_region": person.hukou_region,
                "hukou_address": person.hukou_address,
            },
        )


def collection_form(
    context: BusinessContext, id_types: tuple[str, ...], helps: dict[str, str] | None = None
) -> list[FormField]:
    """人员基础信息采集's form (I2-6): the hall offers 居民身份证 only (I2-1); the counter's
    form is the same with the other documents it accepts (``id_types``)."""
    natures = context.parameters().value("codes.hukou_natures")
    kinds = {"id_number": "id_number", "birth_date": "date", "mobile": "phone",
             "id_type": "choice", "gender": "choice", "hukou_nature": "choice"}  # fmt: skip
    field_choices = {
        "id_type": tuple(Choice(name, name) for name in id_types),
        "gender": (Choice(MALE, MALE), Choice(FEMALE, FEMALE)),
        "hukou_nature": choices(natures),
    }
    optional_section = {"education", "political_status", "major", "skill_level", "position"}
    return [
        FormField(
            key,
            label,
            required,
            kinds.get(key, "text"),
            "人员综合业务信息" if key in optional_section else "人员基本信息",
            field_choices.get(key, ()),
            (helps or {}).get(key, ""),
        )
        for key, (label, required) in FIELDS.items()
    ]


@hookimpl
def register_items() -> list[BusinessItem]:
    return [PersonCollection()]
