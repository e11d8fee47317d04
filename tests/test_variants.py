"""Rule variants: the old system before go-live (PER-7), the 宿迁 label, what-if comparison."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from builders import add_person, add_unit

from simulator.errors import Refused
from simulator.whatif import Variant, compare


def enrol(id_number: str, start: str) -> dict[str, str]:
    return {
        "id_number": id_number,
        "contract_reason": "1",
        "contract_start": start,
        "job_type": "07",
        "base": "6000",
    }


def test_old_system_table_left_column(platform, sandbox_id):  # type: ignore[no-untyped-def]
    """PER-7: 11th → month end for the same month; back pay only through its own module."""
    platform.set_clock(sandbox_id, "2021-07-20")
    clock = platform.clock(sandbox_id)
    assert clock["period"] == {
        "date": "2021-07-20",
        "period_start": "2021-07-11",
        "period_end": "2021-07-31",
        "fee_month": "2021-07",
        "paused": False,
    }
    assert clock["rule_variant"]["label"] == "原社保系统"
    assert clock["rule_variant"]["declaration"] == "每月11日至月底最后一天"
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    outcome = platform.submit(
        sandbox_id, "employment_enrolment", enrol(id_number, "2021-03-01"), actor=actor
    )
    assert outcome.data["补缴明细"] == []
    assert outcome.notices[0]["behaviour_id"] == "PER-7"
    backpay = platform.submit(sandbox_id, "legacy_backpay", {"id_number": id_number}, actor=actor)
    # up to six months including the current month: 2021-02 … 2021-07, from the start 2021-03
    assert backpay.data["months"] == ["2021-03", "2021-04", "2021-05", "2021-06", "2021-07"]
    platform.set_clock(sandbox_id, "2021-07-05")
    with pytest.raises(Refused) as closed:
        platform.submit(
            sandbox_id,
            "employment_enrolment",
            enrol(add_person(platform, sandbox_id, name="李四"), "2021-06-01"),
            actor=actor,
        )
    assert closed.value.problem.behaviour_id == "PER-7"


def test_no_separate_backpay_on_the_platform(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    platform.submit(sandbox_id, "employment_enrolment", enrol(id_number, "2021-06-01"), actor=actor)
    with pytest.raises(Refused) as refused:
        platform.submit(sandbox_id, "legacy_backpay", {"id_number": id_number}, actor=actor)
    assert refused.value.problem.code == "E_NO_SEPARATE_BACKPAY"


def test_suqian_insured_place_label(platform):  # type: ignore[no-untyped-def]
    assert platform.city("321302").as_dict()["insured_place_label"] == "宿迁市市本级"
    assert len([c for c in platform.cities if c != "320000"]) == 13


def test_what_if_old_system_vs_platform(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    result = compare(
        platform,
        sandbox_id,
        "employment_enrolment",
        enrol(id_number, "2021-03-01"),
        actor,
        [
            Variant("原社保系统", on=date(2021, 7, 20)),
            Variant("省一体化平台", on=date(2021, 8, 16)),
        ],
    )
    old, new = result["variants"]
    assert old["accepted"] and new["accepted"]
    assert old["rule_variant"] == "pre-platform" and new["rule_variant"] == "provincial-platform"
    assert old["补缴明细"] == []
    assert {line["起止年月"] for line in new["补缴明细"]} == {"202103-202108"}
    assert "补缴明细" in result["differences"] and "period" in result["differences"]
    # nothing was stored
    assert platform.submit(
        sandbox_id, "employment_enrolment", enrol(id_number, "2021-03-01"), actor=actor
    )


def test_what_if_between_cities(platform, sandbox_id):  # type: ignore[no-untyped-def]
    _, actor = add_unit(platform, sandbox_id)
    id_number = add_person(platform, sandbox_id)
    payload = {"id_number": id_number, "identity": "208", "base": "5000", "start_month": "2021-09"}
    result = compare(
        platform, sandbox_id, "person_enrolment", payload, actor,
        [Variant("常州", city="320400"), Variant("宿迁", city="321300")],
    )  # fmt: skip
    changzhou, suqian = result["variants"]
    assert changzhou["accepted"] is True
    assert suqian["accepted"] is False
    assert suqian["refusal"]["code"] == "E_IDENTITY_NOT_OFFERED"
    assert "accepted" in result["differences"]


def test_what_if_refuses_an_agent_without_the_grant_before_asking_anyone(  # type: ignore[no-untyped-def]
    platform, sandbox_id, monkeypatch
):
    """A-2: a what-if of an item the agent was not granted is refused like the business."""
    _, actor = add_unit(platform, sandbox_id)
    agent = replace(actor, role="agent", scopes=frozenset({"stop_insurance"}))
    asked: list[str] = []
    monkeypatch.setattr(platform, "consult", lambda *args, **kwargs: asked.append("consult"))
    with pytest.raises(Refused) as refused:
        compare(
            platform, sandbox_id, "person_collection", {"id_number": "x", "name": "y"}, agent,
            [Variant("宿迁", city="321300"), Variant("常州", city="320400")],
        )  # fmt: skip
    assert refused.value.problem.code == "E_NOT_GRANTED"
    assert asked == []
