"""The queue of asynchronous batch jobs (处理详情 that can be refreshed while it runs, I7-2).

A :class:`~simulator.db.models.BatchJob` processed in the background needs two
things the job row itself does not keep:

* :class:`QueuedJob` — who uploaded the file (the actor every row's business is
  done for, so that grants are checked as for a single declaration) and the
  worker's lease (which process holds the job, until when: a job whose worker
  died is taken over once the lease has run out);
* :class:`QueuedJobRow` — the file's rows, parsed once at upload, each with its
  state (待处理 / 成功 / 失败) and result, so that a worker can go on from where
  another stopped and the progress can be read row by row.

See :mod:`simulator.jobs` for the runner.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from simulator.db.models import Base, sandbox_fk


class QueuedJob(Base):
    """A batch job waiting for (or held by) a background worker."""

    __tablename__ = "job_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    batch_job_id: Mapped[int] = mapped_column(
        ForeignKey("batch_jobs.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(50))
    actor_role: Mapped[str] = mapped_column(String(12))
    actor_scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    channel: Mapped[str] = mapped_column(String(10), default="网上大厅")
    #: the worker holding the job, and until when (wall clock, UTC); both empty while pending
    owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)


class QueuedJobRow(Base):
    """One row of a queued file: its payload and, once processed, its result."""

    __tablename__ = "job_queue_rows"
    __table_args__ = (Index("ix_job_queue_rows_job_state", "batch_job_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    batch_job_id: Mapped[int] = mapped_column(ForeignKey("batch_jobs.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)  # the spreadsheet's row (header = 1)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default="待处理")  # 待处理 | 成功 | 失败
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
