"""Faults of the mocked agencies, per sandbox, and how every mock call is served.

A tester drives each mock (``identity``, ``market``, ``verification``) into a
fault through the admin API or ``shebao-sim mocks fault`` (issue 3, point 5):

``normal``
    the service answers.
``outage``
    HTTP 503 (the gateway's ``outage``).
``refused``
    the connection is dropped without an answer (the gateway's ``refused``).
``slow``
    the answer comes after ``latency_seconds`` (default 10 s, beyond the
    gateways' 3 s timeout): over real HTTP the mock sleeps (at most 30 s); the
    in-process transport does not sleep but raises ``ReadTimeout`` when the
    latency exceeds the request's timeout.
``malformed``
    HTTP 200 with half of the JSON answer (the gateway's ``malformed``).

A fault may have an end, ``until``, on the **sandbox** clock ("down until
2026-09-08 09:00"): once the sandbox clock reaches it the service is normal
again, without anyone resetting it.

:func:`serve_call` is the one way a mock answers: it reads the sandbox clock and
the fault, lets the mock compute its answer, applies the fault and writes the
journal entry (``mocks/journal.py``), all in one transaction.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from flask import Response, current_app, request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from mocks import journal, store
from mocks.models import MockFault
from simulator.clock import as_instant
from simulator.gateways import FAULT_HEADER, SANDBOX_HEADER

Service = Literal["identity", "market", "verification"]
SERVICES: tuple[str, ...] = get_args(Service)
FaultMode = Literal["normal", "outage", "refused", "slow", "malformed"]
FAULT_MODES: tuple[str, ...] = get_args(FaultMode)

#: A slow mock without a declared latency answers after this long: beyond the
#: gateways' default timeout (3 s), so that ``slow`` alone means "times out".
DEFAULT_SLOW_LATENCY_SECONDS = 10.0
MAX_LATENCY_SECONDS = 3600.0

#: The latency a slow answer declares (seconds), for the in-process transport.
LATENCY_HEADER = "X-Mock-Latency"
#: WSGI environ key set by the in-process transport: do not really sleep or drop.
IN_PROCESS_ENVIRON_KEY = "shebao_sim.mocks.in_process"


@dataclass(frozen=True)
class FaultSetting:
    """A mock's fault in one sandbox, as set (``mode`` may have ended: see :meth:`mode_at`)."""

    service: str
    mode: str = "normal"
    until: datetime | None = None
    latency_seconds: float = 0.0

    def mode_at(self, now: datetime) -> str:
        """The mode in force at ``now`` on the sandbox clock: a fault past ``until`` is over."""
        if self.until is not None and now >= self.until:
            return "normal"
        return self.mode

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "service": self.service,
            "mode": self.mode,
            "until": self.until.isoformat(sep=" ") if self.until else None,
            "latency_seconds": self.latency_seconds,
            "effective_mode": self.mode_at(now),
            "sandbox_now": now.isoformat(sep=" "),
        }


def parse_until(value: str | datetime | None) -> datetime | None:
    """``'2026-09-08 09:00'`` (or ISO, or a bare date meaning 09:00) as a sandbox-clock instant."""
    if value is None or value == "":
        return None
    return as_instant(value)


def read_fault(session: Session, sandbox_id: str, service: str) -> FaultSetting:
    row = session.get(MockFault, (sandbox_id, service))
    if row is None:
        return FaultSetting(service)
    return FaultSetting(service, row.mode, row.until, float(row.latency_seconds or 0.0))


def write_fault(
    session: Session,
    sandbox_id: str,
    service: str,
    mode: str,
    *,
    until: datetime | None = None,
    latency_seconds: float | None = None,
) -> FaultSetting:
    """Set a mock's fault in a sandbox (``normal`` clears it)."""
    if service not in SERVICES:
        raise ValueError(f"unknown mock service {service!r}; one of {', '.join(SERVICES)}")
    if mode not in FAULT_MODES:
        raise ValueError(f"unknown fault mode {mode!r}; one of {', '.join(FAULT_MODES)}")
    if latency_seconds is not None and not 0 <= latency_seconds <= MAX_LATENCY_SECONDS:
        raise ValueError(f"latency must be between 0 and {MAX_LATENCY_SECONDS:g} seconds")
    if mode == "normal":
        until = None
    if latency_seconds is None:
        latency_seconds = DEFAULT_SLOW_LATENCY_SECONDS if mode == "slow" else 0.0
    row = session.get(MockFault, (sandbox_id, service))
    if row is None:
        row = MockFault(sandbox_id=sandbox_id, service=service)
        session.add(row)
    row.mode = mode
    row.until = until
    row.latency_seconds = latency_seconds
    session.flush()
    return FaultSetting(service, mode, until, latency_seconds)


# --- serving a call ----------------------------------------------------------------------


class SandboxHeader(BaseModel):
    """Every call names the sandbox whose world (records, clock, faults) answers it."""

    sandbox_id: str = Field(
        alias=SANDBOX_HEADER, min_length=1, max_length=64, description="the sandbox id"
    )


@dataclass
class MockCall:
    """One call to a mock, as its answer function sees it."""

    session: Session
    sandbox_id: str
    now: datetime  # the sandbox clock
    service: str


@dataclass
class MockAnswer:
    """What a mock answers; ``fault`` names a magic value that forced a failure."""

    body: dict[str, Any]
    status: int = 200
    fault: str | None = None


OUTAGE_BODY = {"code": "SERVICE_UNAVAILABLE", "message": "服务暂不可用（模拟故障）"}


class ServiceFailure(BaseModel):
    """HTTP 503: the service failed (fault ``outage``, or a magic value that fails)."""

    code: str = Field(description="SERVICE_UNAVAILABLE")
    message: str


def serve_call(
    service: str,
    sandbox_id: str,
    request_data: dict[str, Any],
    answer: Callable[[MockCall], MockAnswer],
) -> Response:
    """Answer one mock call in ``sandbox_id``: fault, answer, journal, in one transaction."""
    in_process = bool(request.environ.get(IN_PROCESS_ENVIRON_KEY))
    with store.transaction() as session:
        now = store.sandbox_now(session, sandbox_id)
        setting = read_fault(session, sandbox_id, service)
        mode = setting.mode_at(now)
        if mode == "outage":
            result = MockAnswer(OUTAGE_BODY, 503)
        elif mode == "refused":
            result = MockAnswer({}, 0)
        else:
            # slow and malformed: the service did its work; the answer is late or garbled.
            result = answer(MockCall(session, sandbox_id, now, service))
        text = json.dumps(result.body, ensure_ascii=False)
        journaled: dict[str, Any] | None = result.body
        if mode == "malformed":
            text = text[: len(text) // 2]  # cut short, as by a broken proxy
            journaled = {"raw": text}
        elif mode == "refused":
            journaled = None
        # A magic value's failure is named in the journal when no fault mode overrides it.
        fault = result.fault if mode == "normal" and result.fault else mode
        journal.record(
            session,
            sandbox_id=sandbox_id,
            at=now,
            service=service,
            method=request.method,
            path=request.path,
            request=request_data,
            status=result.status,
            response=journaled,
            fault=fault,
        )
    # The transaction is over: a slow answer must not hold the database while it waits.
    if mode == "refused":
        return _refuse_connection(in_process)
    response = Response(text, status=result.status, mimetype="application/json")
    response.headers[FAULT_HEADER] = fault
    if mode == "slow":
        response.headers[LATENCY_HEADER] = f"{setting.latency_seconds:g}"
        if not in_process:
            time.sleep(min(setting.latency_seconds, store.current_state().max_sleep_seconds))
    return response


def _refuse_connection(in_process: bool) -> Response:
    """Drop the client's connection; where the server gives no socket, say so in a header."""
    connection = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if connection is not None and not in_process:
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            current_app.logger.debug("connection already closed")
    response = Response(
        json.dumps(OUTAGE_BODY, ensure_ascii=False), 503, mimetype="application/json"
    )
    response.headers[FAULT_HEADER] = "refused"
    return response
