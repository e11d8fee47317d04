"""Asynchronous batch jobs: an uploaded file processed in the background (I7-1, I7-2).

企业缴费基数调整（上调） (G §三.7) shows a 处理详情 list with a 刷新 button: the
file is accepted at once and processed afterwards, and the unit refreshes the
list to watch 已处理 and 错误数量 grow until 当前状态 says 处理完成.  This module
does that for any item with batch columns:

1. :func:`enqueue_batch` checks the file whole (size before parsing, I7-1;
   format and headers, PREP-2), then stores the file, a
   :class:`~simulator.db.models.BatchJob` in state 待处理, the uploader
   (:class:`~simulator.db.jobs.QueuedJob`) and one
   :class:`~simulator.db.jobs.QueuedJobRow` per row — in one transaction, so a
   refused file leaves nothing behind;
2. a worker processes the job in chunks of rows (:func:`process_chunk`), each
   chunk in its own transaction: every row is one business through the same
   pipeline as a single declaration (``Platform.submit_in``) inside its own
   savepoint, so a refused row changes nothing and the others go on (as in
   :mod:`simulator.batch`), and the job's counters are committed with the chunk,
   which is what a refresh shows;
3. the last chunk writes every row's result on the job and marks it 处理完成.

Who runs the chunks depends on the *job mode* (``platform.settings["jobs.mode"]``
or ``$SHEBAO_SIM_JOBS``):

* ``thread`` (default with a database file or server) — a :class:`JobRunner`
  daemon thread per platform, woken when a job is queued;
* ``inline`` (default for an in-memory SQLite database, whose one connection
  cannot be shared with a thread) — the request that queues the job runs it;
* ``manual`` — nothing runs until :func:`run_pending_jobs` is called (tests use
  it to look at a job half done).

A worker holds a job by a lease (``job_queue.owner``/``lease_until``, wall
clock); a job whose worker died is taken over when the lease runs out, and goes
on from its first unprocessed row.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, or_, select, update

from simulator.batch import (
    STATE_DONE,
    STATE_PENDING,
    STATE_RUNNING,
    checked_upload,
    failed_row,
    job_as_dict,
    process_row,
    record_upload,
    stored_rows,
)
from simulator.clock import SandboxClock
from simulator.context import Actor
from simulator.db.jobs import QueuedJob, QueuedJobRow
from simulator.db.models import BatchJob, Sandbox, UploadedFile
from simulator.errors import Problem, Refused
from simulator.workbooks import read_rows, result_workbook

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from simulator.platform import Platform

log = logging.getLogger(__name__)

ROW_PENDING = "待处理"
ROW_OK = "成功"
ROW_FAILED = "失败"

MODE_THREAD = "thread"
MODE_INLINE = "inline"
MODE_MANUAL = "manual"
MODES = (MODE_THREAD, MODE_INLINE, MODE_MANUAL)
MODE_ENV = "SHEBAO_SIM_JOBS"

DEFAULT_CHUNK_SIZE = 50
DEFAULT_LEASE = timedelta(seconds=60)

#: what a row that broke the simulator (not a refusal) reports; the job goes on
INTERNAL_ROW_ERROR = Problem(
    code="E_INTERNAL",
    message="系统内部错误",
    remedy="该行未办理；请稍后重新上传该行，如持续出现，请把文件和沙箱编号报告给维护者。",
    http_status=500,
)


def _wall_now() -> datetime:
    """The lease clock: real time (a worker's lease has nothing to do with a sandbox's clock)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _sandbox_now(session: Session, sandbox_id: str) -> datetime:
    sandbox = session.get(Sandbox, sandbox_id)
    return SandboxClock(sandbox.clock_frozen_at if sandbox else None).now()


# --- settings ------------------------------------------------------------------------------


def job_mode(platform: Platform) -> str:
    """``thread``, ``inline`` or ``manual`` (see the module docstring)."""
    mode = str(platform.settings.get("jobs.mode") or os.environ.get(MODE_ENV) or "").strip()
    if mode:
        if mode not in MODES:
            raise ValueError(f"unknown job mode {mode!r}: one of {', '.join(MODES)}")
        return mode
    in_memory = platform.db.url in ("sqlite://", "sqlite:///:memory:")
    return MODE_INLINE if in_memory else MODE_THREAD


def chunk_size(platform: Platform) -> int:
    return max(1, int(platform.settings.get("jobs.chunk_size", DEFAULT_CHUNK_SIZE)))


# --- queueing a file -------------------------------------------------------------------------


def enqueue_batch(
    platform: Platform,
    sandbox_id: str,
    item_code: str,
    filename: str,
    content: bytes,
    *,
    actor: Actor,
    channel: str = "网上大厅",
) -> dict[str, Any]:
    """Check the file and queue it; returns the job (state 待处理). Refuses before any write."""
    item, rows = checked_upload(platform, sandbox_id, item_code, filename, content, actor)
    with platform.db.transaction() as session:
        now = _sandbox_now(session, sandbox_id)
        job = record_upload(
            session, sandbox_id, item.code, filename, content,
            actor=actor, total=len(rows), state=STATE_PENDING, now=now,
        )  # fmt: skip
        session.add(
            QueuedJob(
                sandbox_id=sandbox_id,
                batch_job_id=job.id,
                account_id=actor.account_id,
                actor_name=actor.name,
                actor_role=actor.role,
                actor_scopes=sorted(actor.scopes),
                channel=channel,
            )
        )
        session.execute(
            insert(QueuedJobRow),
            [
                {
                    "sandbox_id": sandbox_id,
                    "batch_job_id": job.id,
                    "row_number": number,
                    "payload": item.row_payload(row),
                    "state": ROW_PENDING,
                    "result": None,
                }
                for number, row in rows
            ],
        )
        session.flush()
        return job_as_dict(job)


def submit_async(
    platform: Platform,
    sandbox_id: str,
    item_code: str,
    filename: str,
    content: bytes,
    *,
    actor: Actor,
) -> dict[str, Any]:
    """Queue a file and have it processed according to the job mode; returns the job now."""
    job = enqueue_batch(platform, sandbox_id, item_code, filename, content, actor=actor)
    mode = job_mode(platform)
    if mode == MODE_THREAD:
        runner_for(platform).wake()
    elif mode == MODE_INLINE:
        run_job(platform, job["id"])
        return job_details(platform, sandbox_id, job["id"], unit_id=actor.unit_id)
    return job


# --- processing ------------------------------------------------------------------------------


def claim_job(
    platform: Platform,
    owner: str,
    *,
    job_id: int | None = None,
    sandbox_id: str | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> int | None:
    """Take a pending job (or one whose worker's lease ran out); returns its id or ``None``."""
    now = _wall_now()
    with platform.db.transaction() as session:
        query = (
            select(QueuedJob.id, QueuedJob.batch_job_id)
            .join(BatchJob, BatchJob.id == QueuedJob.batch_job_id)
            .where(
                BatchJob.state.in_((STATE_PENDING, STATE_RUNNING)),
                or_(
                    QueuedJob.owner.is_(None), QueuedJob.lease_until < now, QueuedJob.owner == owner
                ),
            )
            .order_by(QueuedJob.id)
            .limit(1)
        )
        if job_id is not None:
            query = query.where(QueuedJob.batch_job_id == job_id)
        if sandbox_id is not None:
            query = query.where(QueuedJob.sandbox_id == sandbox_id)
        found = session.execute(query).first()
        if found is None:
            return None
        queued_id, batch_job_id = found
        # Conditional update: of two workers racing for the job, one changes the row.
        taken = session.execute(
            update(QueuedJob)
            .where(
                QueuedJob.id == queued_id,
                or_(
                    QueuedJob.owner.is_(None), QueuedJob.lease_until < now, QueuedJob.owner == owner
                ),
            )
            .values(owner=owner, lease_until=now + lease)
        ).rowcount
        if taken != 1:
            return None
        session.execute(
            update(BatchJob).where(BatchJob.id == batch_job_id).values(state=STATE_RUNNING)
        )
        return int(batch_job_id)


@dataclass(frozen=True)
class _Row:
    id: int
    row_number: int
    payload: dict[str, Any]


def _actor_of(queued: QueuedJob, unit_id: int | None) -> Actor:
    return Actor(
        unit_id=unit_id,
        name=queued.actor_name,
        role=queued.actor_role,
        account_id=queued.account_id,
        scopes=frozenset(queued.actor_scopes or ()),
    )


def process_chunk(
    platform: Platform,
    job_id: int,
    owner: str,
    *,
    size: int | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> bool:
    """Process the next rows of a held job in one transaction; ``True`` while rows remain."""
    size = size or chunk_size(platform)
    with platform.db.transaction() as session:
        queued = session.scalars(select(QueuedJob).where(QueuedJob.batch_job_id == job_id)).first()
        if queued is None or queued.owner != owner:
            return False  # deleted with its sandbox, or taken over by another worker
        sandbox_id = queued.sandbox_id
        item_code = session.get(BatchJob, job_id).item_code  # type: ignore[union-attr]
        rows = [
            _Row(row.id, row.row_number, dict(row.payload))
            for row in session.scalars(
                select(QueuedJobRow)
                .where(QueuedJobRow.batch_job_id == job_id, QueuedJobRow.state == ROW_PENDING)
                .order_by(QueuedJobRow.row_number, QueuedJobRow.id)
                .limit(size)
            )
        ]
    item = platform.item(item_code)
    # Other agencies are asked with no transaction open (see BusinessItem.consult).
    consulted: dict[int, dict[str, Any] | Refused] = {}
    for row in rows:
        try:
            consulted[row.id] = platform.consult(sandbox_id, item, row.payload)
        except Refused as refused:
            consulted[row.id] = refused

    with platform.db.transaction() as session:
        job = session.get(BatchJob, job_id)
        queued = session.scalars(select(QueuedJob).where(QueuedJob.batch_job_id == job_id)).first()
        if job is None or queued is None or queued.owner != owner:
            return False
        queued.lease_until = _wall_now() + lease
        actor = _actor_of(queued, job.unit_id)
        for row in rows:
            stored = session.get(QueuedJobRow, row.id)
            if stored is None or stored.state != ROW_PENDING:
                continue
            result = _process_row(platform, session, job, actor, queued.channel, row, consulted)
            stored.state = ROW_OK if result["ok"] else ROW_FAILED
            stored.result = result
            if not result["ok"]:
                job.errors += 1
            job.processed += 1
            # Flushed now, so that the next row's effect recorder never sees these rows.
            session.flush()
        remaining = session.scalar(
            select(func.count())
            .select_from(QueuedJobRow)
            .where(QueuedJobRow.batch_job_id == job_id, QueuedJobRow.state == ROW_PENDING)
        )
        if remaining:
            return True
        _finish(session, job, queued)
        return False


def _process_row(
    platform: Platform,
    session: Session,
    job: BatchJob,
    actor: Actor,
    channel: str,
    row: _Row,
    consulted: dict[int, dict[str, Any] | Refused],
) -> dict[str, Any]:
    """One row as one business (:func:`simulator.batch.process_row`); a row that breaks
    fails alone, so that a bug never stalls the queue."""
    try:
        return process_row(
            platform, session, job.sandbox_id, platform.item(job.item_code), row.payload,
            consulted.get(row.id, {}), row_number=row.row_number, actor=actor,
            batch_job_id=job.id, channel=channel,
        )  # fmt: skip
    except Exception:  # a bug must not stall the queue: the row fails, the job goes on
        log.exception("batch job %s row %s broke", job.id, row.row_number)
        return failed_row(row.row_number, (INTERNAL_ROW_ERROR,))


def _finish(session: Session, job: BatchJob, queued: QueuedJob) -> None:
    job.rows = stored_rows(
        [
            row.result
            for row in session.scalars(
                select(QueuedJobRow)
                .where(QueuedJobRow.batch_job_id == job.id)
                .order_by(QueuedJobRow.row_number, QueuedJobRow.id)
            )
        ]
    )
    job.state = STATE_DONE
    job.finished_at = _sandbox_now(session, job.sandbox_id)
    queued.owner = None
    queued.lease_until = None


def run_job(platform: Platform, job_id: int, *, owner: str | None = None) -> bool:
    """Process one job to its end now (if it is free to take); ``True`` when it was run."""
    owner = owner or _new_owner()
    if claim_job(platform, owner, job_id=job_id) is None:
        return False
    while process_chunk(platform, job_id, owner):
        pass
    return True


def run_pending_jobs(platform: Platform, *, sandbox_id: str | None = None) -> list[int]:
    """The synchronous mode: process every pending job now (tests, CLI); returns their ids."""
    owner = _new_owner()
    done: list[int] = []
    while (job_id := claim_job(platform, owner, sandbox_id=sandbox_id)) is not None:
        while process_chunk(platform, job_id, owner):
            pass
        done.append(job_id)
    return done


def _new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- reading ------------------------------------------------------------------------------------


def _unit_job(
    session: Session, sandbox_id: str, job_id: int, unit_id: int | None
) -> tuple[BatchJob, dict[str, Any]] | None:
    """The job and its per-row results so far (``None`` when it is not this unit's)."""
    job = session.get(BatchJob, job_id)
    if job is None or job.sandbox_id != sandbox_id or job.unit_id != unit_id:
        return None
    out = job_as_dict(job, session=session)
    if job.state != STATE_DONE:
        out["rows"] = [
            row.result
            for row in session.scalars(
                select(QueuedJobRow)
                .where(QueuedJobRow.batch_job_id == job_id, QueuedJobRow.state != ROW_PENDING)
                .order_by(QueuedJobRow.row_number, QueuedJobRow.id)
            )
        ]
    return job, out


def job_details(
    platform: Platform, sandbox_id: str, job_id: int, *, unit_id: int | None
) -> dict[str, Any] | None:
    """One job with its per-row results so far (``None`` when it is not this unit's)."""
    with platform.db.transaction() as session:
        found = _unit_job(session, sandbox_id, job_id, unit_id)
        return found[1] if found is not None else None


def job_result_workbook(
    platform: Platform, sandbox_id: str, job_id: int, *, unit_id: int | None
) -> tuple[str, bytes] | None:
    """结果下载: the file's rows with each row's result (``None`` when the job is not this
    unit's) and the name to download it under."""
    with platform.db.transaction() as session:
        found = _unit_job(session, sandbox_id, job_id, unit_id)
        if found is None:
            return None
        job, details = found
        upload = session.get(UploadedFile, job.file_id) if job.file_id else None
        content = upload.content if upload is not None else b""
    item = platform.item(details["item"])
    rows = list(read_rows(content, item.batch_columns)) if content else []
    stem = details["文件名称"].rsplit(".", 1)[0] or item.name
    workbook = result_workbook(item.batch_columns, rows, details["rows"], sheet_title=item.name)
    return f"{stem}_处理结果.xlsx", workbook


def list_jobs(
    platform: Platform, sandbox_id: str, *, unit_id: int | None, item_code: str
) -> list[dict[str, Any]]:
    """处理详情: the unit's files for an item, newest first, without their rows."""
    with platform.db.transaction() as session:
        jobs = session.scalars(
            select(BatchJob)
            .where(
                BatchJob.sandbox_id == sandbox_id,
                BatchJob.unit_id == unit_id,
                BatchJob.item_code == item_code,
            )
            .order_by(BatchJob.id.desc())
        ).all()
        return [job_as_dict(job, with_rows=False) for job in jobs]


# --- the background worker ------------------------------------------------------------------------


class JobRunner:
    """A daemon thread that processes queued jobs chunk by chunk (``thread`` mode)."""

    def __init__(
        self,
        platform: Platform,
        *,
        idle_seconds: float = 5.0,
        pause_seconds: float | None = None,
    ) -> None:
        self.platform = platform
        self.owner = _new_owner()
        self.idle_seconds = idle_seconds
        #: a pause between chunks (``jobs.chunk_pause_seconds``): lets a class watch progress
        self.pause_seconds = (
            float(platform.settings.get("jobs.chunk_pause_seconds", 0))
            if pause_seconds is None
            else pause_seconds
        )
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="shebao-sim-jobs", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """A job was queued: start if needed and look now."""
        self.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # the database may be away for a moment; try again later
                log.exception("job runner failed; retrying")
                worked = False
            if not worked:
                self._wake.wait(self.idle_seconds)
                self._wake.clear()

    def run_once(self) -> bool:
        """Take one job and process it to its end (or until stopped); ``True`` if one was taken."""
        job_id = claim_job(self.platform, self.owner)
        if job_id is None:
            return False
        while not self._stop.is_set() and process_chunk(self.platform, job_id, self.owner):
            if self.pause_seconds:
                time.sleep(self.pause_seconds)
        return True


_runners: weakref.WeakKeyDictionary[Platform, JobRunner] = weakref.WeakKeyDictionary()
_runners_lock = threading.Lock()


def runner_for(platform: Platform) -> JobRunner:
    """The platform's one runner (created on first use, started by ``wake``/``start``)."""
    with _runners_lock:
        runner = _runners.get(platform)
        if runner is None:
            runner = _runners[platform] = JobRunner(platform)
        return runner


def ensure_runner(platform: Platform) -> None:
    """Start the background worker in ``thread`` mode (jobs left by a restart resume)."""
    if job_mode(platform) == MODE_THREAD and not runner_for(platform).running:
        runner_for(platform).wake()
