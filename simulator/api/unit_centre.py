"""单位中心 (unit centre) in the JSON API — guide §四, FAQ Q9–Q11; Q-1, Q-6, Q-7, Q-8, Q-9.

After login, the unit sees its information, its insured people and their bases
(人员缴费基数: a person listed there is successfully insured, Q-9), the
单位征缴通知单 of each settled month (Q-6), the 人员月缴费明细 (Q-7) and its
businesses with their state (单位办件, Q-8).  The queries are in
:mod:`simulator.queries`; every list is filtered and paged.
"""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from simulator import queries
from simulator.api import ERROR_RESPONSES, platform
from simulator.api.businesses import current_actor

centre_tag = Tag(
    name="单位中心 unit centre", description="Queries of the logged-in unit (Q-1 … Q-9)"
)

api = APIBlueprint(
    "unit_centre",
    __name__,
    url_prefix="/api/v1",
    abp_responses={**ERROR_RESPONSES, 401: ERROR_RESPONSES[400]},
    abp_security=[{"bearer": []}],
)


class CentrePath(BaseModel):
    sandbox_id: str = Field(max_length=64)


class Paging(BaseModel):
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=500)

    def as_page(self) -> queries.Page:
        return queries.Page(self.page, self.per_page)


#: a month filter: YYYYMM or YYYY-MM (docs/records.md), checked by simulator.queries
MONTH_PATTERN = r"^\d{4}-?\d{2}$"


class InsuredQuery(Paging):
    """参保信息's filters — the same as its export's (``POST …/unit/exports/insured``)."""

    id_number: str | None = Field(None, max_length=18)
    name: str | None = Field(None, max_length=50)
    insurance_code: str | None = Field(
        None, pattern=r"^\d{3}$", description="110, 120, 210 or 410 (310/510: F-2)"
    )
    status: str | None = Field(None, pattern=r"^[123]$", description="1 参保缴费, 3 终止缴费")


class NoticeQuery(Paging):
    fee_month: str | None = Field(None, pattern=MONTH_PATTERN, description="YYYYMM or YYYY-MM")


class DetailQuery(Paging):
    """人员月缴费明细's filters — the same as its export's (``POST …/unit/exports/monthly-details``)."""

    fee_month: str | None = Field(None, pattern=MONTH_PATTERN, description="YYYYMM or YYYY-MM")
    start_month: str | None = Field(
        None, pattern=MONTH_PATTERN, description="from this fee month (YYYYMM or YYYY-MM)"
    )
    end_month: str | None = Field(
        None,
        pattern=MONTH_PATTERN,
        description="to this fee month (YYYYMM or YYYY-MM), not before start_month",
    )
    id_number: str | None = Field(None, max_length=18)
    insurance_code: str | None = Field(
        None, pattern=r"^\d{3}$", description="110, 120, 210 or 410 (310/510: F-2)"
    )


class BusinessQuery(Paging):
    item: str | None = Field(None, max_length=40)
    state: str | None = Field(None, max_length=10)
    fee_month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$")


@api.get("/sandboxes/<sandbox_id>/unit", tags=[centre_tag], summary="单位信息 (Q-1)")
def unit_information(path: CentrePath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    sim = platform()
    with sim.sandbox_session(path.sandbox_id) as ctx:
        return queries.unit_information(sim, ctx.session, actor.unit_id)


@api.get(
    "/sandboxes/<sandbox_id>/unit/insured",
    tags=[centre_tag],
    summary="参保信息—人员缴费基数 (Q-9: listed here = successfully insured)",
)
def insured_people(path: CentrePath, query: InsuredQuery):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    with platform().sandbox_session(path.sandbox_id) as ctx:
        return queries.insured_people(
            ctx.session,
            path.sandbox_id,
            actor.unit_id,
            id_number=query.id_number,
            name=query.name,
            insurance_code=query.insurance_code,
            status=query.status,
            page=query.as_page(),
        )


@api.get(
    "/sandboxes/<sandbox_id>/unit/collection-notices",
    tags=[centre_tag],
    summary="缴费信息—单位征缴通知单 per settled month (Q-6)",
)
def collection_notices(path: CentrePath, query: NoticeQuery):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    with platform().sandbox_session(path.sandbox_id) as ctx:
        return queries.collection_notices(
            ctx.session,
            path.sandbox_id,
            actor.unit_id,
            fee_month=query.fee_month,
            page=query.as_page(),
        )


@api.get(
    "/sandboxes/<sandbox_id>/unit/monthly-details",
    tags=[centre_tag],
    summary="缴费信息—人员月缴费明细 (Q-7)",
)
def monthly_details(path: CentrePath, query: DetailQuery):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    with platform().sandbox_session(path.sandbox_id) as ctx:
        return queries.monthly_details(
            ctx.session,
            path.sandbox_id,
            actor.unit_id,
            fee_month=query.fee_month,
            start_month=query.start_month,
            end_month=query.end_month,
            id_number=query.id_number,
            insurance_code=query.insurance_code,
            page=query.as_page(),
        )


@api.get(
    "/sandboxes/<sandbox_id>/unit/businesses",
    tags=[centre_tag],
    summary="单位办件: the unit's businesses with their state (Q-8)",
)
def unit_businesses(path: CentrePath, query: BusinessQuery):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    with platform().sandbox_session(path.sandbox_id) as ctx:
        return queries.unit_businesses(
            ctx.session,
            path.sandbox_id,
            actor.unit_id,
            item=query.item,
            state=query.state,
            fee_month=query.fee_month,
            page=query.as_page(),
        )


class BusinessPath(CentrePath):
    business_no: str = Field(max_length=30, description="业务编号")


@api.get(
    "/sandboxes/<sandbox_id>/unit/businesses/<business_no>",
    tags=[centre_tag],
    summary="办件详情: one business, what was declared, its result and its trace (Q-8)",
)
def unit_business(path: BusinessPath):  # type: ignore[no-untyped-def]
    actor = current_actor(path.sandbox_id)
    with platform().sandbox_session(path.sandbox_id) as ctx:
        return queries.unit_business(ctx.session, path.sandbox_id, actor.unit_id, path.business_no)
