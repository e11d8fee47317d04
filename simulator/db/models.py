"""The platform's data, as SQLAlchemy 2 typed models.

Every row belongs to a sandbox (an isolated world).  Months are ``YYYY-MM``
text; money is ``Numeric(14, 2)`` read back as :class:`~decimal.Decimal`; times
are naive China Standard Time taken from the sandbox clock.

Main concepts (guide §三, §四):

* :class:`Unit` 参保单位 and :class:`Person` 人员基础信息 (several records may share
  one 证件号码: behaviour I3-7);
* :class:`Employment` 用工 (labour contract, dispatch) and :class:`InsuredRelation`
  参保关系 per insurance type with start/stop months (flexible-employment
  insurance is a relation without a unit);
* :class:`ContributionLine` 缴费明细 (regular and back pay) and
  :class:`BenefitPayment` 失业金发放;
* :class:`Business` 办件 with its reversible :class:`BusinessEffect` rows;
* :class:`UploadedFile` and :class:`BatchJob` for workbooks; :class:`Account` for
  the unit's people (法定代表人, 单位管理员, 单位经办人).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2, asdecimal=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


def sandbox_fk(*, index: bool = True) -> Mapped[str]:
    """The sandbox a row belongs to.  ``index=False`` where a composite index starting
    with ``sandbox_id`` serves instead: one index fewer to maintain on the big tables."""
    return mapped_column(ForeignKey("sandboxes.id", ondelete="CASCADE"), index=index)


class Sandbox(Base):
    """An isolated world with its own clock (and, for 苏州, the hall's location)."""

    __tablename__ = "sandboxes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    #: ``None`` while the clock follows the wall clock (see simulator.clock)
    clock_frozen_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: the hall's location (定位), a prefecture code; 苏州 needs it for rollback (I6-4)
    location_city: Mapped[str | None] = mapped_column(String(6))
    world: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Counter(Base):
    """Per-sandbox number sequences (业务编号, 人员编号, 补退流水号 …)."""

    __tablename__ = "counters"

    sandbox_id: Mapped[str] = mapped_column(
        ForeignKey("sandboxes.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Unit(Base):
    """参保单位: a unit registered for social insurance (or known only to market registration)."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("sandbox_id", "uscc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    unit_no: Mapped[str | None] = mapped_column(String(20))  # 单位编号
    uscc: Mapped[str] = mapped_column(String(18))  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(200))
    nature: Mapped[str] = mapped_column(String(20))  # 单位性质: 企业, 个体工商户, 机关, 事业单位 …
    region_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(6))
    address: Mapped[str] = mapped_column(String(300), default="")
    legal_rep_name: Mapped[str] = mapped_column(String(50), default="")
    legal_rep_id_type: Mapped[str] = mapped_column(String(20), default="居民身份证")
    legal_rep_id_number: Mapped[str] = mapped_column(String(18), default="")
    is_hr_agency: Mapped[bool] = mapped_column(Boolean, default=False)  # 人力资源服务机构
    industry_class: Mapped[int | None] = mapped_column(Integer)  # 工伤行业类别 1..8
    floating_tier: Mapped[int | None] = mapped_column(Integer)  # 工伤浮动档次 (1-based)
    insurance_codes: Mapped[str] = mapped_column(String(40), default="")  # '110,210,410'
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_account_name: Mapped[str] = mapped_column(String(200), default="")
    bank_account_no: Mapped[str] = mapped_column(String(40), default="")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    registered_on: Mapped[date | None] = mapped_column(Date)  # 社保登记日期
    status: Mapped[str] = mapped_column(String(10), default="参保")

    def insurance_list(self) -> list[str]:
        return [code for code in self.insurance_codes.split(",") if code]


class Person(Base):
    """人员基础信息: a person's base record (several may share one 证件号码, I3-7)."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("sandbox_id", "person_no"),
        Index("ix_people_sandbox_id_number", "sandbox_id", "id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    person_no: Mapped[str] = mapped_column(String(20))  # 人员编号 = 个人唯一识别码
    id_type: Mapped[str] = mapped_column(String(20), default="居民身份证")
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(2))  # 男 / 女
    birth_date: Mapped[date] = mapped_column(Date)
    ethnicity: Mapped[str] = mapped_column(String(20), default="汉族")
    nationality: Mapped[str] = mapped_column(String(20), default="中国")
    mobile: Mapped[str] = mapped_column(String(20), default="")
    hukou_nature: Mapped[str | None] = mapped_column(String(2))  # 户籍性质 code; None → I3-10
    residence_address: Mapped[str] = mapped_column(String(300), default="")
    hukou_region: Mapped[str] = mapped_column(String(6), default="")
    hukou_address: Mapped[str] = mapped_column(String(300), default="")
    education: Mapped[str] = mapped_column(String(20), default="")
    political_status: Mapped[str] = mapped_column(String(20), default="")
    major: Mapped[str] = mapped_column(String(50), default="")
    skill_level: Mapped[str] = mapped_column(String(20), default="")
    position: Mapped[str] = mapped_column(String(50), default="")
    draws_pension: Mapped[bool] = mapped_column(Boolean, default=False)  # 领取养老待遇
    work_injury_level: Mapped[int | None] = mapped_column(Integer)  # 伤残等级 1..10
    disability_allowance: Mapped[Decimal | None] = mapped_column(Money)  # 伤残津贴 (F-3)
    created_at: Mapped[datetime | None] = mapped_column(DateTime)


class Employment(Base):
    """用工: a labour relation of a person with a unit, from its contract."""

    __tablename__ = "employments"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    identity: Mapped[str] = mapped_column(String(10))  # 参保身份 code
    contract_reason: Mapped[str] = mapped_column(String(4), default="")  # 合同增加原因
    contract_type: Mapped[str] = mapped_column(String(4), default="")  # 合同类别
    contract_start: Mapped[date | None] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    job_type: Mapped[str] = mapped_column(String(4), default="")  # 岗位工种
    dispatch_type: Mapped[str] = mapped_column(String(10), default="")  # 用工类型
    dispatch_employer_no: Mapped[str] = mapped_column(String(30), default="")  # 用工单位编号
    dispatch_employer_name: Mapped[str] = mapped_column(String(200), default="")  # 用工单位全称
    start_month: Mapped[str] = mapped_column(String(7))
    stopped_on: Mapped[date | None] = mapped_column(Date)
    stop_reason: Mapped[str | None] = mapped_column(String(10))  # 退工原因 code


class InsuredRelation(Base):
    """参保关系: one insurance type for one person, at one unit (or none: 灵活就业)."""

    __tablename__ = "insured_relations"
    __table_args__ = (
        Index("ix_insured_relations_sandbox_person", "sandbox_id", "person_id"),
        Index("ix_insured_relations_sandbox_unit", "sandbox_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk(index=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    employment_id: Mapped[int | None] = mapped_column(
        ForeignKey("employments.id", ondelete="CASCADE"), index=True
    )
    insurance_code: Mapped[str] = mapped_column(String(3))  # 险种: 110, 120, 210, 410
    identity: Mapped[str] = mapped_column(String(10))  # 参保身份
    kind: Mapped[str] = mapped_column(String(12), default="employee")  # employee|flexible|project
    start_month: Mapped[str] = mapped_column(String(7))
    stop_month: Mapped[str | None] = mapped_column(String(7))  # last insured month
    status: Mapped[str] = mapped_column(String(1), default="1")  # 1 参保缴费, 2 暂停, 3 终止
    declared_base: Mapped[Decimal | None] = mapped_column(Money)
    base: Mapped[Decimal | None] = mapped_column(Money)
    note: Mapped[str] = mapped_column(String(300), default="")


class BaseChange(Base):
    """缴费基数调整: a base change of a relation from a month on."""

    __tablename__ = "base_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    relation_id: Mapped[int] = mapped_column(
        ForeignKey("insured_relations.id", ondelete="CASCADE"), index=True
    )
    from_month: Mapped[str] = mapped_column(String(7))
    old_base: Mapped[Decimal | None] = mapped_column(Money)
    new_base: Mapped[Decimal] = mapped_column(Money)
    declared_base: Mapped[Decimal] = mapped_column(Money)
    business_id: Mapped[int | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )


class ContributionLine(Base):
    """缴费明细: one month of one insurance type for one person (regular or back pay)."""

    __tablename__ = "contribution_lines"
    __table_args__ = (
        Index("ix_contribution_lines_sandbox_unit_month", "sandbox_id", "unit_id", "fee_month"),
        Index("ix_contribution_lines_sandbox_person", "sandbox_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk(index=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    relation_id: Mapped[int | None] = mapped_column(
        ForeignKey("insured_relations.id", ondelete="CASCADE"), index=True
    )
    insurance_code: Mapped[str] = mapped_column(String(3))
    fee_month: Mapped[str] = mapped_column(String(7))
    base: Mapped[Decimal] = mapped_column(Money)
    unit_amount: Mapped[Decimal] = mapped_column(Money)
    personal_amount: Mapped[Decimal] = mapped_column(Money)
    kind: Mapped[str] = mapped_column(String(10), default="regular")  # regular | backpay
    serial_no: Mapped[str | None] = mapped_column(String(30))  # 补退流水号
    business_id: Mapped[int | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL"), index=True
    )


class BenefitPayment(Base):
    """失业金发放: unemployment benefit paid to a person for a month (I3-8)."""

    __tablename__ = "benefit_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal] = mapped_column(Money)
    returned_on: Mapped[date | None] = mapped_column(Date)  # returned at the counter (P-3)


class Settlement(Base):
    """单位征缴通知单: one unit's settled fee month (F Q9, Q-6)."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("sandbox_id", "unit_id", "fee_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    fee_month: Mapped[str] = mapped_column(String(7))
    notice_no: Mapped[str] = mapped_column(String(30))  # 征缴通知单号
    people: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    unit_total: Mapped[Decimal] = mapped_column(Money)
    personal_total: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    settled_at: Mapped[datetime] = mapped_column(DateTime)
    #: what the settlement decided beyond base × rate (F-1, F-3), for the trace
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Business(Base):
    """办件: one business done on the platform, with its state and trace."""

    __tablename__ = "businesses"
    __table_args__ = (
        UniqueConstraint("sandbox_id", "business_no"),
        Index("ix_businesses_sandbox_unit", "sandbox_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk(index=False)
    business_no: Mapped[str] = mapped_column(String(30))  # 业务编号
    item_code: Mapped[str] = mapped_column(String(40))
    item_name: Mapped[str] = mapped_column(String(60))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100), default="")
    channel: Mapped[str] = mapped_column(String(10), default="网上大厅")  # 经办方式
    submitted_at: Mapped[datetime] = mapped_column(DateTime)  # 经办时间 (sandbox clock)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    fee_month: Mapped[str] = mapped_column(String(7))
    state: Mapped[str] = mapped_column(String(10), default="办结")  # 办结 | 已回退
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trace: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rolled_back_by: Mapped[int | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )
    batch_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("batch_jobs.id", ondelete="SET NULL")
    )


#: the key of a reference, in a batch 办件's trace, to one of its job's shared entries
TRACE_ENTRY_REF = "$entry"
#: the key of a reference to a run of them: ``{"$entries": [first, count]}``
TRACE_ENTRIES_REF = "$entries"


def stored_trace(session: Any, business: Any) -> list[Any]:
    """A 办件's trace with the references to its batch's shared parameter entries resolved
    (a batch keeps the entries all its rows read once, in ``batch_jobs.trace_entries``)."""
    trace = business.trace or []

    def is_ref(item: Any) -> bool:
        return isinstance(item, dict) and (TRACE_ENTRY_REF in item or TRACE_ENTRIES_REF in item)

    if not any(is_ref(item) for item in trace):
        return list(trace)
    job = session.get(BatchJob, business.batch_job_id) if business.batch_job_id else None
    entries = (job.trace_entries if job is not None else None) or []
    resolved: list[Any] = []
    for item in trace:
        if is_ref(item):
            first, count = item.get(TRACE_ENTRIES_REF) or (item[TRACE_ENTRY_REF], 1)
            if first + count <= len(entries):
                resolved += entries[first : first + count]
                continue
        resolved.append(item)  # not a reference, or its job is gone: kept as stored
    return resolved


class BusinessEffect(Base):
    """One reversible change a business made: enough to undo it (I6-1)."""

    __tablename__ = "business_effects"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(Integer)
    #: an insert of consecutive ids ``row_id … row_id + row_count - 1`` (one row otherwise)
    row_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    op: Mapped[str] = mapped_column(String(6))  # insert | update | delete
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PreRegistration(Base):
    """用工参保预登记: a hire declared on the paused days, registered on the 11th (I10)."""

    __tablename__ = "pre_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    declared_at: Mapped[datetime] = mapped_column(DateTime)
    #: 待转入 (pending) | 已转入 (registered on the 11th) | 转入失败 (refused then)
    state: Mapped[str] = mapped_column(String(10), default="待转入")
    converted_business_no: Mapped[str | None] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(String(300), default="")


class UploadedFile(Base):
    """An uploaded workbook, kept as received."""

    __tablename__ = "uploaded_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)


class BatchJob(Base):
    """处理详情: the processing of one uploaded file (文件名称, 数据总数, 已处理, 错误数量 …)."""

    __tablename__ = "batch_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(40))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("uploaded_files.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    total: Mapped[int] = mapped_column(Integer, default=0)  # 数据总数
    processed: Mapped[int] = mapped_column(Integer, default=0)  # 已处理
    errors: Mapped[int] = mapped_column(Integer, default=0)  # 错误数量
    state: Mapped[str] = mapped_column(String(10), default="待处理")  # 当前状态
    created_at: Mapped[datetime] = mapped_column(DateTime)  # 创建时间
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)  # 处理完成时间
    rows: Mapped[list[Any]] = mapped_column(JSON, default=list)  # per-row results
    #: parameter entries shared by the traces of its 办件, referenced as ``{"$entry": k}``
    trace_entries: Mapped[list[Any] | None] = mapped_column(JSON)


class Account(Base):
    """A unit's account holder: 法定代表人, 单位管理员 or 单位经办人 (A-1)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("sandbox_id", "unit_id", "id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # legal_rep | admin | agent
    id_type: Mapped[str] = mapped_column(String(20), default="居民身份证")
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str] = mapped_column(String(20), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)  # face verification passed
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # granted item codes (agents)
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """A bearer token of an account (expiring, revocable)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """Audit log: grants, revocations, exports, logins (who, whom, what, when)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CounterRecord(Base):
    """柜台: what the counter (经办机构) did for a case the online hall sends there (P-3)."""

    __tablename__ = "counter_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


#: tables cleared when a sandbox is reset, children first
SANDBOX_TABLES = [
    "audit_log",
    "api_tokens",
    "accounts",
    "counter_records",
    "business_effects",
    "settlements",
    "contribution_lines",
    "base_changes",
    "benefit_payments",
    "insured_relations",
    "employments",
    "businesses",
    "pre_registrations",
    "batch_jobs",
    "uploaded_files",
    "people",
    "units",
    "counters",
]
