"""工程建设项目 (construction projects) and their registered workers — guide G §三.9; I9-1, I9-2.

Work-injury insurance can be bought per construction project (按项目总造价打包参保):
the project is insured as a whole by its total cost, and the people working on
it are registered on the project with their entry (入场) and exit (离场) dates.

* :class:`Project` — 工程编码 (unique per sandbox), 工程名称, 所属地行政区代码,
  工程造价, 开工日期, 竣工日期 (I9-1); it belongs to the unit that registered it.
* :class:`ProjectWorker` — one stay of a person on a project: 入场日期, 离场日期
  (empty while on site), the 参保关系 it opened (an
  :class:`~simulator.db.models.InsuredRelation` of kind ``project``) and the
  business (办件) that registered it.

Both tables carry ``sandbox_id`` so that resetting or deleting a sandbox clears
them (``Platform._clear`` empties every table with that column).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from simulator.db.models import Base, Money, sandbox_fk
from simulator.months import Month

#: 参保身份 of a project worker's relation (decision, see plugins/items/project_workers.py)
PROJECT_IDENTITY = "401"
#: a project insures its workers for work injury only
WORK_INJURY = "410"


class Project(Base):
    """工程建设项目: a construction project insured for work injury as a whole (I9-1)."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("sandbox_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # 工程编码
    name: Mapped[str] = mapped_column(String(200))  # 工程名称
    region_code: Mapped[str] = mapped_column(String(6))  # 所属地行政区代码
    cost: Mapped[Decimal] = mapped_column(Money)  # 工程造价 (元)
    start_date: Mapped[date] = mapped_column(Date)  # 开工日期
    end_date: Mapped[date | None] = mapped_column(Date)  # 竣工日期 (planned)
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    business_id: Mapped[int | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )


class ProjectWorker(Base):
    """A person registered on a project (建筑施工人员参保登记), from entry to exit (I9-2)."""

    __tablename__ = "project_workers"
    __table_args__ = (Index("ix_project_workers_sandbox_person", "sandbox_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sandbox_id: Mapped[str] = sandbox_fk()
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    entry_date: Mapped[date] = mapped_column(Date)  # 入场日期
    exit_date: Mapped[date | None] = mapped_column(Date)  # 离场日期 (None: still on site)
    relation_id: Mapped[int | None] = mapped_column(
        ForeignKey("insured_relations.id", ondelete="SET NULL")
    )
    business_id: Mapped[int | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(String(300), default="")  # 备注


def stay_relation_values(
    *,
    sandbox_id: str,
    unit_id: int,
    person_id: int,
    project_code: str,
    entry_date: date,
    exit_date: date | None,
) -> dict[str, object]:
    """The 参保关系 a stay on a project opens (I9-1): work injury from the entry month,
    stopped (status 3) with the exit month once the worker has left (I9-2)."""
    return {
        "sandbox_id": sandbox_id,
        "person_id": person_id,
        "unit_id": unit_id,
        "insurance_code": WORK_INJURY,
        "identity": PROJECT_IDENTITY,
        "kind": "project",
        "start_month": str(Month.of(entry_date)),
        "stop_month": str(Month.of(exit_date)) if exit_date else None,
        "status": "3" if exit_date else "1",
        "note": f"工程编码 {project_code}",
    }
