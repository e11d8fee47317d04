"""Issued 江苏省社会保险权益记录单（参保单位） — guide G §四 (打印证明); Q-3, Q-4, Q-5.

Every record printed for a unit is kept as it was issued, so that the QR code's
verification (Q-5) can confirm it any number of times within six months, whatever
happened to the unit's people since:

* :class:`IssuedRecord` — 权益单编号, the unit, the 查询时间 range, the issue time on
  the sandbox clock, the digest of the record's data (the QR token signs the same
  digest), the data itself (header, 缴费总人数, the list) and the PDF as delivered
  (with its SHA-256, to recognise an altered copy).

The table carries ``sandbox_id``: resetting or deleting a sandbox clears it
(``Platform._clear`` empties every table with that column).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from simulator.db.models import Base, sandbox_fk


class IssuedRecord(Base):
    """权益记录单: one 江苏省社会保险权益记录单（参保单位） as issued (Q-3, Q-5)."""

    __tablename__ = "issued_records"
    __table_args__ = (UniqueConstraint("sandbox_id", "record_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    record_no: Mapped[str] = mapped_column(String(30))  # 权益单编号
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    uscc: Mapped[str] = mapped_column(String(18))  # 统一社会信用代码 at issue
    start_month: Mapped[str] = mapped_column(String(7))  # 查询时间 from (YYYY-MM)
    end_month: Mapped[str] = mapped_column(String(7))  # 查询时间 to (YYYY-MM)
    issued_at: Mapped[datetime] = mapped_column(DateTime)  # sandbox clock
    valid_until: Mapped[datetime] = mapped_column(DateTime)  # issued_at + 6 months (exclusive)
    issued_by: Mapped[str] = mapped_column(
        String(100), default=""
    )  # the account, e.g. 臧建平(legal_rep)
    people: Mapped[int] = mapped_column(Integer, default=0)  # rows of the list
    pages: Mapped[int] = mapped_column(Integer, default=1)
    data_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical data
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
