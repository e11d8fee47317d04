"""Exporting the unit centre's personal data — guide G §四 (查询或导出), FAQ Q9; Q-2, Q-7.

"导出部分信息时，需实人扫码认证，压缩包密码为登陆人注册的手机号码" (G §四): the unit
centre's lists that hold people's data — 参保信息 (人员缴费基数, Q-9's list) and
人员月缴费明细 (Q-7) — are exported as an ``.xlsx`` workbook inside a zip encrypted
with AES-256 (WinZip AES: 7-Zip, WinRAR and other common archivers ask for the
password).  In order:

1. the logged-in account must have a registered mobile number (it becomes the zip's
   password; without one the export is refused, :data:`EXPORT_NO_MOBILE`);
2. the real-person check (实人认证) of the logged-in account through the verification
   service (the mock's face check, ``VerificationGateway.face``); a failed check is
   refused (:data:`EXPORT_FACE_FAILED`), an unavailable service answers the
   verification service's error (nothing is exported, nothing is written);
3. the rows (every row matching the filters, not a page), the workbook, the zip and
   an audit entry (``audit_log``: who, what, which filters, how many rows, when on the
   sandbox clock) in one transaction.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyzipper
from sqlalchemy import select
from sqlalchemy.orm import Session

from simulator.context import Actor
from simulator.db.models import Account, AuditEntry, ContributionLine, InsuredRelation, Person
from simulator.errors import NOT_FOUND, ErrorSpec
from simulator.gateways import GatewayError
from simulator.queries import (
    INSURANCE_NAMES,
    STATUS_NAMES,
    DetailFilters,
    InsuredFilters,
    actor_display,
)

if TYPE_CHECKING:
    from simulator.platform import Platform

#: the audit log's action for an export
EXPORT_ACTION = "personal_data_export"

EXPORT_NEEDS_ACCOUNT = ErrorSpec(
    code="E_EXPORT_NOT_LOGGED_IN",
    message="导出个人信息须以单位账号登录",
    remedy="请以法定代表人、管理员或经办人身份登录后，在单位中心导出。",
    behaviour_id="Q-2",
    http_status=401,
)
EXPORT_NO_MOBILE = ErrorSpec(
    code="E_EXPORT_NO_MOBILE",
    message="登录人未登记手机号码，无法导出（压缩包密码为登录人注册的手机号码）",
    remedy="请在单位中心—经办人管理中为登录人登记手机号码后再导出。",
    behaviour_id="Q-2",
    http_status=409,
)
EXPORT_FACE_FAILED = ErrorSpec(
    code="E_EXPORT_FACE_FAILED",
    message="实人认证未通过，不能导出个人信息",
    remedy="请登录人本人使用江苏智慧人社APP扫码完成实人认证后再导出。",
    behaviour_id="Q-2",
    http_status=403,
)


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def insured_rows(
    session: Session, sandbox_id: str, unit_id: int, filters: Mapping[str, Any]
) -> tuple[Sequence[str], list[list[Any]]]:
    """参保信息—人员缴费基数 (Q-9's list), every row matching the filters
    (:class:`~simulator.queries.InsuredFilters`, as the list on screen)."""
    query = InsuredFilters.of(filters).apply(
        select(InsuredRelation, Person)
        .join(Person, Person.id == InsuredRelation.person_id)
        .where(InsuredRelation.sandbox_id == sandbox_id, InsuredRelation.unit_id == unit_id)
        .order_by(Person.name, InsuredRelation.insurance_code)
    )
    headers = ("个人编号", "姓名", "证件号码", "险种", "险种名称", "参保身份", "缴费基数",
               "申报基数", "参保开始年月", "参保截止年月", "参保状态")  # fmt: skip
    rows = [
        [
            person.person_no,
            person.name,
            person.id_number,
            relation.insurance_code,
            INSURANCE_NAMES.get(relation.insurance_code, relation.insurance_code),
            relation.identity,
            _money(relation.base),
            _money(relation.declared_base),
            relation.start_month,
            relation.stop_month,
            STATUS_NAMES.get(relation.status, relation.status),
        ]
        for relation, person in session.execute(query).all()
    ]
    return headers, rows


def monthly_detail_rows(
    session: Session, sandbox_id: str, unit_id: int, filters: Mapping[str, Any]
) -> tuple[Sequence[str], list[list[Any]]]:
    """人员月缴费明细 (Q-7), every row matching the filters
    (:class:`~simulator.queries.DetailFilters`, as the list on screen)."""
    query = DetailFilters.of(filters).apply(
        select(ContributionLine, Person)
        .join(Person, Person.id == ContributionLine.person_id)
        .where(ContributionLine.sandbox_id == sandbox_id, ContributionLine.unit_id == unit_id)
        .order_by(ContributionLine.fee_month.desc(), Person.name, ContributionLine.insurance_code)
    )
    headers = ("费款所属期", "个人编号", "姓名", "证件号码", "险种", "险种名称", "缴费基数",
               "单位缴费", "个人缴费", "缴费类型", "补退流水号")  # fmt: skip
    rows = [
        [
            line.fee_month,
            person.person_no,
            person.name,
            person.id_number,
            line.insurance_code,
            INSURANCE_NAMES.get(line.insurance_code, line.insurance_code),
            _money(line.base),
            _money(line.unit_amount),
            _money(line.personal_amount),
            "补缴" if line.kind == "backpay" else "正常应缴",
            line.serial_no,
        ]
        for line, person in session.execute(query).all()
    ]
    return headers, rows


RowsFunction = Callable[
    [Session, str, int, Mapping[str, Any]], tuple[Sequence[str], list[list[Any]]]
]


@dataclass(frozen=True)
class ExportKind:
    """One exportable list of the unit centre."""

    key: str  # the API's name: insured | monthly-details
    title: str  # the workbook's and the file's name
    behaviour_id: str
    rows: RowsFunction
    #: the list's filters, checked (the same as the list on screen)
    filters: Callable[[Mapping[str, Any]], InsuredFilters | DetailFilters]


EXPORT_KINDS: dict[str, ExportKind] = {
    kind.key: kind
    for kind in (
        ExportKind("insured", "参保信息-人员缴费基数", "Q-9", insured_rows, InsuredFilters.of),
        ExportKind(
            "monthly-details", "人员月缴费明细", "Q-7", monthly_detail_rows, DetailFilters.of
        ),
    )
}


def workbook_bytes(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """An ``.xlsx`` with one sheet: the headers, then the rows (write-only: fast, small)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, header in enumerate(headers):
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(12, len(header) * 2 + 4)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def encrypted_zip(member: str, content: bytes, password: str) -> bytes:
    """A zip holding ``member``, encrypted with AES-256 (WinZip AES) under ``password``."""
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr(member, content)
    return buffer.getvalue()


@dataclass(frozen=True)
class ExportFile:
    """An export as delivered: the zip, its name, the workbook inside, the row count."""

    filename: str
    member: str
    content: bytes
    rows: int
    exported_at: datetime


def _logged_in_account(platform: Platform, sandbox_id: str, actor: Actor) -> tuple[str, str, str]:
    """(证件号码, 姓名, 手机号码) of the logged-in account, or the refusal (Q-2)."""
    with platform.sandbox_session(sandbox_id) as ctx:
        account = (
            ctx.session.get(Account, actor.account_id) if actor.account_id is not None else None
        )
        if account is None or account.sandbox_id != sandbox_id:
            raise EXPORT_NEEDS_ACCOUNT.refuse()
        mobile = (account.mobile or "").strip()
        if not mobile:
            raise EXPORT_NO_MOBILE.refuse()
        return account.id_number, account.name, mobile


def real_person_check(platform: Platform, sandbox_id: str, id_number: str, name: str) -> None:
    """实人认证 of the logged-in person through the verification service (mock)."""
    try:
        passed = platform.gateways.verification.face(sandbox_id, id_number, name)
    except GatewayError as error:
        raise error.refusal() from error
    if not passed:
        raise EXPORT_FACE_FAILED.refuse()


def export_personal_data(
    platform: Platform,
    sandbox_id: str,
    actor: Actor,
    kind: str,
    filters: Mapping[str, str | None] | None = None,
) -> ExportFile:
    """Export one of the unit centre's lists (Q-2, Q-7): mobile, face check, zip, audit."""
    spec = EXPORT_KINDS.get(kind)
    if spec is None:
        raise NOT_FOUND.refuse(what=f"导出内容“{kind}”")
    if actor.unit_id is None:
        raise EXPORT_NEEDS_ACCOUNT.refuse()
    # the filters are checked before anyone is asked for anything (F-2, bad months, ranges)
    filters = spec.filters(filters or {}).as_dict()
    id_number, name, mobile = _logged_in_account(platform, sandbox_id, actor)
    real_person_check(platform, sandbox_id, id_number, name)
    with platform.sandbox_session(sandbox_id) as ctx:
        headers, rows = spec.rows(ctx.session, sandbox_id, actor.unit_id, filters)
        stamp = ctx.now.strftime("%Y%m%d%H%M%S")
        member = f"{spec.title}_{stamp}.xlsx"
        filename = f"{spec.title}_{stamp}.zip"
        content = encrypted_zip(member, workbook_bytes(spec.title, headers, rows), mobile)
        ctx.session.add(
            AuditEntry(
                sandbox_id=sandbox_id,
                at=ctx.now,
                actor=actor.label,
                action=EXPORT_ACTION,
                target=spec.title,
                details={
                    "unit_id": actor.unit_id,
                    "account_id": actor.account_id,
                    "kind": spec.key,
                    "behaviour_id": spec.behaviour_id,
                    "filters": dict(filters),
                    "rows": len(rows),
                    "file": filename,
                    "real_person_check": "passed",
                    "password": "登录人注册的手机号码",
                },
            )
        )
        return ExportFile(filename, member, content, len(rows), ctx.now)


def export_history(platform: Platform, sandbox_id: str, unit_id: int) -> list[dict[str, Any]]:
    """导出记录: the unit's exports from the audit log, newest first."""
    with platform.sandbox_session(sandbox_id) as ctx:
        entries = ctx.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.sandbox_id == sandbox_id, AuditEntry.action == EXPORT_ACTION)
            .order_by(AuditEntry.id.desc())
        ).all()
        return [
            {
                "导出时间": entry.at.isoformat(sep=" "),
                "导出人": actor_display(entry.actor),
                "导出内容": entry.target,
                "条数": entry.details.get("rows"),
                "文件名": entry.details.get("file"),
                "查询条件": entry.details.get("filters", {}),
                "实人认证": "通过",
            }
            for entry in entries
            if entry.details.get("unit_id") == unit_id
        ]
