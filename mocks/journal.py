"""The request journal of the mocked agencies: what the simulator sent, what it got.

Every call that reaches a mock is recorded (issue 3, point 6): the sandbox, the
time on the sandbox clock, the service, the request, the answer (HTTP status and
body) and the fault that was injected.  A tester lists it to verify what the
simulator asked another agency, and clears it between test steps.

Status ``0`` with no answer means the connection was dropped (fault ``refused``);
a malformed answer is kept as ``{"raw": "<the text sent>"}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mocks.models import MockJournalEntry

#: The journal keeps what fits: listing more than this at once is paged by ``limit``.
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


def record(
    session: Session,
    *,
    sandbox_id: str,
    at: datetime,
    service: str,
    method: str,
    path: str,
    request: dict[str, Any],
    status: int,
    response: dict[str, Any] | None,
    fault: str,
) -> MockJournalEntry:
    entry = MockJournalEntry(
        sandbox_id=sandbox_id,
        at=at,
        service=service,
        method=method,
        path=path,
        request=request,
        status=status,
        response=response,
        fault=fault,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    sandbox_id: str,
    service: str | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
) -> list[MockJournalEntry]:
    """The sandbox's calls, oldest first (the last ``limit`` of them)."""
    query = select(MockJournalEntry).where(MockJournalEntry.sandbox_id == sandbox_id)
    if service is not None:
        query = query.where(MockJournalEntry.service == service)
    newest = session.scalars(query.order_by(MockJournalEntry.id.desc()).limit(limit)).all()
    return list(reversed(newest))


def clear(session: Session, sandbox_id: str, service: str | None = None) -> int:
    """Forget the sandbox's calls (of one service, or all); how many were removed."""
    statement = delete(MockJournalEntry).where(MockJournalEntry.sandbox_id == sandbox_id)
    if service is not None:
        statement = statement.where(MockJournalEntry.service == service)
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def entry_dict(entry: MockJournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "sandbox_id": entry.sandbox_id,
        "at": entry.at.isoformat(sep=" "),
        "service": entry.service,
        "method": entry.method,
        "path": entry.path,
        "request": entry.request,
        "status": entry.status,
        "response": entry.response,
        "fault": entry.fault,
    }
