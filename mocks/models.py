"""What the mocked government services know, per sandbox.

These tables are the *other* agencies' data, not the platform's: the public
security person base information (公安部人员基准信息), the market registrations
(市场监管), verification codes, each mock's fault setting and the journal of
every call.  A world file fills them along with the platform's own tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from simulator.db.models import Base, sandbox_fk


class IdentityRecord(Base):
    """公安部人员基准信息: a resident as the public-security service knows them."""

    __tablename__ = "mock_identity_records"
    __table_args__ = (Index("ix_mock_identity_records_lookup", "sandbox_id", "id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date] = mapped_column(Date)
    ethnicity: Mapped[str] = mapped_column(String(20), default="汉族")
    hukou_region: Mapped[str] = mapped_column(String(6), default="")
    hukou_address: Mapped[str] = mapped_column(String(300), default="")


class MarketRecord(Base):
    """市场监管: a unit's registration with market regulation."""

    __tablename__ = "mock_market_records"
    __table_args__ = (UniqueConstraint("sandbox_id", "uscc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    uscc: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    legal_rep_name: Mapped[str] = mapped_column(String(50))
    legal_rep_id_type: Mapped[str] = mapped_column(String(20), default="居民身份证")
    legal_rep_id_number: Mapped[str] = mapped_column(String(18))
    nature: Mapped[str] = mapped_column(
        String(20)
    )  # 企业, 个体工商户, 机关, 事业单位, 民办非企业 …
    is_hr_agency: Mapped[bool] = mapped_column(Boolean, default=False)  # 劳务派遣经营许可
    address: Mapped[str] = mapped_column(String(300), default="")
    region_code: Mapped[str] = mapped_column(String(6))
    registered_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(4), default="存续")  # 存续 / 注销 / 吊销


class MockFault(Base):
    """A mock's fault mode in one sandbox (normal, outage, refused, slow, malformed)."""

    __tablename__ = "mock_faults"

    sandbox_id: Mapped[str] = mapped_column(
        String(64), primary_key=True
    )  # not a foreign key: a standalone mock may serve sandboxes it does not hold
    service: Mapped[str] = mapped_column(String(20), primary_key=True)
    mode: Mapped[str] = mapped_column(String(12), default="normal")
    #: the fault lasts until this instant on the sandbox clock (``None``: until changed)
    until: Mapped[datetime | None] = mapped_column(DateTime)
    latency_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class MockJournalEntry(Base):
    """One call to a mock: what the simulator sent and what it got back."""

    __tablename__ = "mock_journal"
    __table_args__ = (Index("ix_mock_journal_sandbox_service", "sandbox_id", "service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)  # sandbox clock
    service: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(200))
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fault: Mapped[str] = mapped_column(String(12), default="normal")


class VerificationCode(Base):
    """An SMS verification code sent to a mobile number."""

    __tablename__ = "mock_sms_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = mapped_column(String(64), index=True)
    request_id: Mapped[str] = mapped_column(String(40), unique=True)
    mobile: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(6))
    sent_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
