"""单位账号与授权 through the API: 经办人管理, activation, login limits and 忘记密码.

Behaviours A-1 … A-4 and PREP-1 (``simulator/accounts.py``, ``simulator/api/accounts.py``).
Every test runs on the ``cities`` world (2021-09-15 09:00): its 法定代表人 accounts have
the world password and its people are known to public security.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import simulator.accounts
from mocks.transport import in_process_mocks
from simulator.accounts import grantable_items
from simulator.app import TestConfig, create_app
from simulator.db.models import Account, ApiToken, AuditEntry
from simulator.platform import Platform
from simulator.worlds import DEFAULT_PASSWORD

pytestmark = [
    pytest.mark.db,  # also run against PostgreSQL by .ci/run
    *(getattr(pytest.mark, behaviour) for behaviour in ("A-1", "A-2", "A-3", "A-4", "PREP-1")),
]

NJ = "91320106451472402M"  # 南京示例咨询服务有限公司
NJ_LEGAL_REP = ("32010619700214085X", "陶建国")
NJ_MOBILE = "13900000002"
SZ = "9132050824525093X7"  # 苏州示例精密机械有限公司
SZ_LEGAL_REP = ("320508197509090833", "顾文斌")
DING_YU = ("320106199707071304", "丁雨")
SHEN = ("320411199203031218", "沈一鸣")
XU_QING = ("320411199406061222", "许晴")
SUN = ("320106198808081291", "孙小军")
AGENT_PASSWORD = "Agent2021ok"
ENROLMENT = {"id_number": SUN[0], "contract_reason": "1", "contract_start": "2021-09-01",
             "job_type": "07"}  # fmt: skip


@dataclass
class Answer:
    status: int
    body: Any

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


@dataclass
class Api:
    """The JSON API of one sandbox, with the mocks answering in-process."""

    client: FlaskClient
    sandbox: str

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open(
            f"/api/v1/sandboxes/{self.sandbox}{path}", method=method, headers=headers, **kwargs
        )
        return Answer(response.status_code, response.get_json())

    def login(self, uscc: str, id_number: str, password: str = DEFAULT_PASSWORD) -> Answer:
        body = {"uscc": uscc, "id_number": id_number, "password": password}
        return self.call("POST", "/login", json=body)

    def token(self, uscc: str, id_number: str, password: str = DEFAULT_PASSWORD) -> str:
        answer = self.login(uscc, id_number, password)
        assert answer.status == 200, answer.body
        return str(answer.body["token"])

    def legal_rep(self, uscc: str = NJ) -> str:
        return self.token(uscc, NJ_LEGAL_REP[0] if uscc == NJ else SZ_LEGAL_REP[0])

    def agree(self, token: str) -> None:
        assert self.call("POST", "/accounts/grant-notice/agree", token).status == 200

    def grant(
        self,
        token: str,
        person: tuple[str, str],
        level: str = "agent",
        scopes: list[str] | None = None,
        **fields: Any,
    ) -> Answer:
        body = {"level": level, "id_number": person[0], "name": person[1],
                "mobile": "13700000005", "scopes": scopes or [], **fields}  # fmt: skip
        return self.call("POST", "/accounts", token, json=body)

    def activate(
        self,
        person: tuple[str, str],
        password: str = AGENT_PASSWORD,
        confirm: str | None = None,
        uscc: str = NJ,
    ) -> Answer:
        body = {"uscc": uscc, "id_number": person[0], "name": person[1], "password": password,
                "password_confirm": password if confirm is None else confirm}  # fmt: skip
        return self.call("POST", "/accounts/activate", json=body)

    def grantee(
        self,
        manager: str,
        person: tuple[str, str],
        level: str = "agent",
        scopes: list[str] | None = None,
    ) -> tuple[int, str]:
        """Granted, activated and logged in: the account id and its token."""
        granted = self.grant(manager, person, level, scopes)
        assert granted.status == 201, granted.body
        assert self.activate(person).status == 200
        return granted.body["account"]["账号编号"], self.token(NJ, person[0], AGENT_PASSWORD)

    def business(self, token: str, item: str, payload: dict[str, Any]) -> Answer:
        return self.call("POST", f"/businesses/{item}", token, json=payload)

    def reset(self, step: str = "", **body: Any) -> Answer:
        return self.call("POST", f"/password-reset{step}", json=body)

    def sms_code(self) -> str:
        codes = self.client.get(f"/api/v1/sandboxes/{self.sandbox}/mocks/verification/sms")
        return str(codes.get_json()["codes"][0]["code"])

    def fault(self, service: str, mode: str) -> None:
        path = f"/api/v1/sandboxes/{self.sandbox}/mocks/{service}/fault"
        assert self.client.put(path, json={"mode": mode}).status_code == 200


@pytest.fixture(scope="module")
def app(shared_platform: Platform) -> Flask:
    return create_app(TestConfig, platform=shared_platform)


@pytest.fixture
def api(app: Flask, platform: Platform, sandbox_id: str) -> Iterator[Api]:
    platform.load_world(sandbox_id, "cities")
    with in_process_mocks(app):
        yield Api(app.test_client(), sandbox_id)


def accounts_of(platform: Platform, sandbox_id: str, id_number: str) -> list[Account]:
    with platform.db.transaction() as session:
        return list(
            session.scalars(
                select(Account).where(
                    Account.sandbox_id == sandbox_id, Account.id_number == id_number
                )
            )
        )


def audit_actions(platform: Platform, sandbox_id: str) -> list[str]:
    with platform.db.transaction() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.sandbox_id == sandbox_id)
                .order_by(AuditEntry.id)
            )
        )


# --- 经办人管理: the granting flow (A-1, A-2, A-3) ----------------------------------------------


def test_an_agent_does_only_the_granted_items(api: Api) -> None:
    """A-2, A-3: notice, 同意开通, grant, face + password, login, granted item only."""
    legal_rep = api.legal_rep()
    notice = api.call("GET", "/accounts/grant-notice", legal_rep).body
    assert "授权注意事项" in notice["notice"] and notice["agreed"] is False
    assert {"事项代码": "employment_enrolment", "事项名称": "用人单位用工参保登记"} in notice[
        "grantable_items"
    ]
    assert all(not i["事项代码"].startswith("counter_") for i in notice["grantable_items"])
    api.agree(legal_rep)
    assert api.call("GET", "/accounts/grant-notice", legal_rep).body["agreed"] is True

    granted = api.grant(legal_rep, DING_YU, scopes=["用人单位用工参保登记"])
    assert granted.status == 201, granted.body
    row = granted.body["account"]
    assert (row["账号级别"], row["账号状态"], row["实名认证时间"]) == ("单位经办人", "待激活", None)
    assert row["授权事项"] == [
        {"事项代码": "employment_enrolment", "事项名称": "用人单位用工参保登记"}
    ]
    assert row["授权时间"] == "2021-09-15 09:00:00"

    pending = api.login(NJ, DING_YU[0], AGENT_PASSWORD)
    assert (pending.status, pending.code) == (401, "E_ACCOUNT_NOT_ACTIVATED")
    activated = api.activate(DING_YU)
    assert activated.status == 200, activated.body
    assert activated.body["account"]["账号状态"] == "正常"
    agent = api.token(NJ, DING_YU[0], AGENT_PASSWORD)

    me = api.call("GET", "/accounts/me", agent).body
    assert (me["姓名"], me["级别代码"], me["全部事项"]) == ("丁雨", "agent", False)
    assert api.business(agent, "employment_enrolment", ENROLMENT).status == 201
    refused = api.business(agent, "stop_insurance", {"id_number": SUN[0], "stop_reason": "6304"})
    assert (refused.status, refused.code) == (403, "E_NOT_GRANTED")
    assert refused.body["message"] == "您没有办理“用人单位退工停保登记”的权限"
    assert refused.body["behaviour_id"] == "A-2"


def test_the_accounts_are_listed_by_level(api: Api) -> None:
    """A-1 (guide §五 问题一 (3)): 法定代表人, 管理员, 经办人; removed ones are not listed."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    assert api.grant(legal_rep, SHEN, level="管理员").status == 201
    scopes = ["person_collection", "用人单位用工参保登记", "person_collection"]
    assert api.grant(legal_rep, DING_YU, level="经办人", scopes=scopes).status == 201
    listed = api.call("GET", "/accounts", legal_rep).body
    assert list(listed) == ["法定代表人", "管理员", "经办人"]
    assert [r["姓名"] for r in listed["法定代表人"]] == ["陶建国"]
    assert listed["法定代表人"][0]["全部事项"] is True
    assert [(r["姓名"], r["账号状态"]) for r in listed["管理员"]] == [("沈一鸣", "待激活")]
    agent = listed["经办人"][0]
    assert [s["事项代码"] for s in agent["授权事项"]] == [
        "employment_enrolment",
        "person_collection",
    ]


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"level": "legal_rep"}, 403, "E_LEGAL_REP_NOT_MANAGED"),
        ({"level": "boss"}, 400, "E_INVALID_INPUT"),
        ({"id_type": "护照"}, 422, "E_ID_TYPE_NOT_ONLINE"),
        ({"id_number": "320106199707071305"}, 400, "E_INVALID_INPUT"),
        ({"name": " "}, 400, "E_INVALID_INPUT"),
        ({"mobile": "0251234567"}, 400, "E_INVALID_INPUT"),
        ({"level": "admin", "scopes": ["employment_enrolment"]}, 400, "E_SCOPES_FOR_AGENTS_ONLY"),
        ({"scopes": ["no_such_item"]}, 400, "E_UNKNOWN_SCOPE"),
        ({"scopes": ["counter_backpay"]}, 400, "E_UNKNOWN_SCOPE"),
        ({"name": "丁小雨"}, 422, "E_GRANTEE_IDENTITY_MISMATCH"),
        ({"id_number": "320106199001012476", "name": "无名氏"}, 422, "E_GRANTEE_IDENTITY_MISMATCH"),
    ],
)
def test_a_grant_is_checked_and_a_refused_one_stores_nothing(
    api: Api, platform: Platform, fields: dict[str, Any], status: int, code: str
) -> None:
    """A-1 (real-name: public security's comparison), A-2 (levels, items)."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    body = {"level": "agent", "id_number": DING_YU[0], "name": DING_YU[1],
            "mobile": "13700000005", **fields}  # fmt: skip
    refused = api.call("POST", "/accounts", legal_rep, json=body)
    assert (refused.status, refused.code) == (status, code), refused.body
    assert accounts_of(platform, api.sandbox, body["id_number"].strip()) == []
    assert "account_granted" not in audit_actions(platform, api.sandbox)


def test_a_grant_needs_the_notice_agreed_first(api: Api) -> None:
    """A-3: 阅读授权注意事项, 同意开通 — once per account holder."""
    legal_rep = api.legal_rep()
    refused = api.grant(legal_rep, DING_YU)
    assert (refused.status, refused.code) == (409, "E_GRANT_NOTICE_NOT_AGREED")
    assert refused.body["message"] == "请先阅读授权注意事项并点击“同意开通”"
    api.agree(legal_rep)
    api.agree(legal_rep)  # agreeing twice is harmless
    assert api.grant(legal_rep, DING_YU).status == 201


def test_identity_service_failure_refuses_the_grant(api: Api, platform: Platform) -> None:
    """A-1: public security cannot confirm the person; nothing is stored."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    api.fault("identity", "outage")
    refused = api.grant(legal_rep, DING_YU)
    assert (refused.status, refused.code) == (503, "E_IDENTITY_SERVICE")
    assert accounts_of(platform, api.sandbox, DING_YU[0]) == []


def test_one_person_holds_one_account_per_unit(api: Api) -> None:
    """A-2: the legal representative and an existing grantee cannot be granted again."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    assert api.grant(legal_rep, DING_YU).status == 201
    twice = api.grant(legal_rep, DING_YU, level="admin")
    assert (twice.status, twice.code) == (409, "E_ACCOUNT_EXISTS")
    assert twice.body["message"] == "该人员已是本单位的单位经办人"
    himself = api.grant(legal_rep, NJ_LEGAL_REP)
    assert himself.body["message"] == "该人员已是本单位的法定代表人"


def test_an_administrator_manages_agents_but_not_administrators(api: Api) -> None:
    """A-2: administrators hold every item; they add, remove and grant agents only."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    admin_id, _ = api.grantee(legal_rep, SHEN, level="admin")
    other_admin = api.grant(legal_rep, XU_QING, level="admin")
    assert other_admin.status == 201
    admin = api.token(NJ, SHEN[0], AGENT_PASSWORD)

    assert api.business(admin, "employment_enrolment", ENROLMENT).status == 201  # every item
    refused = api.grant(admin, DING_YU)
    assert refused.code == "E_GRANT_NOTICE_NOT_AGREED"  # its own 同意开通 first
    api.agree(admin)
    refused = api.grant(admin, DING_YU, level="admin")
    assert (refused.status, refused.code) == (403, "E_ADMIN_BY_LEGAL_REP_ONLY")
    assert refused.body["message"] == "单位管理员只能由法定代表人增加或减少"
    other_admin_id = other_admin.body["account"]["账号编号"]
    for method, path, body in (
        ("DELETE", f"/accounts/{other_admin_id}", None),
        ("DELETE", f"/accounts/{admin_id}", None),  # nor themselves
        ("PUT", f"/accounts/{other_admin_id}/scopes", {"scopes": []}),
    ):
        answer = api.call(method, path, admin, json=body)
        assert (answer.status, answer.code) == (403, "E_ADMIN_BY_LEGAL_REP_ONLY"), path
    legal_rep_id = api.call("GET", "/accounts", admin).body["法定代表人"][0]["账号编号"]
    answer = api.call("DELETE", f"/accounts/{legal_rep_id}", admin)
    assert (answer.status, answer.code) == (403, "E_LEGAL_REP_NOT_MANAGED")

    granted = api.grant(admin, DING_YU, scopes=["person_collection"])
    assert granted.status == 201
    agent_id = granted.body["account"]["账号编号"]
    changed = api.call("PUT", f"/accounts/{agent_id}/scopes", admin,
                       json={"scopes": ["employment_enrolment"]})  # fmt: skip
    assert changed.status == 200 and changed.body["message"] == "授权事项已变更"
    assert api.call("DELETE", f"/accounts/{agent_id}", admin).status == 200


def test_the_legal_rep_removes_administrators_and_cannot_give_them_items(api: Api) -> None:
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    admin_id, admin = api.grantee(legal_rep, SHEN, level="admin")
    refused = api.call("PUT", f"/accounts/{admin_id}/scopes", legal_rep, json={"scopes": []})
    assert (refused.status, refused.code) == (400, "E_SCOPES_FOR_AGENTS_ONLY")
    assert api.call("DELETE", f"/accounts/{admin_id}", legal_rep).status == 200
    assert api.call("GET", "/unit", admin).status == 401  # the token died with the account


def test_an_agent_manages_nothing(api: Api) -> None:
    """A-2: every 经办人管理 route refuses an agent with 403."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    agent_id, agent = api.grantee(legal_rep, DING_YU, scopes=["employment_enrolment"])
    body = {"level": "agent", "id_number": SHEN[0], "name": SHEN[1], "mobile": "13700000000"}
    for method, path, json in (
        ("GET", "/accounts", None),
        ("GET", "/accounts/grant-notice", None),
        ("POST", "/accounts/grant-notice/agree", None),
        ("POST", "/accounts", body),
        ("PUT", f"/accounts/{agent_id}/scopes", {"scopes": ["stop_insurance"]}),
        ("DELETE", f"/accounts/{agent_id}", None),
        ("GET", "/accounts/audit", None),
    ):
        answer = api.call(method, path, agent, json=json)
        assert (answer.status, answer.code) == (403, "E_ACCOUNT_MANAGEMENT_NOT_ALLOWED"), path
        assert answer.body["message"] == "单位经办人不能办理经办人管理"
    assert api.call("GET", "/accounts/me", agent).status == 200


def test_new_items_apply_at_once_to_a_logged_in_agent(api: Api) -> None:
    """A-2: the actor's items are read on every request."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    agent_id, agent = api.grantee(legal_rep, DING_YU, scopes=["person_collection"])
    assert api.business(agent, "employment_enrolment", ENROLMENT).status == 403
    changed = api.call("PUT", f"/accounts/{agent_id}/scopes", legal_rep,
                       json={"scopes": ["用人单位用工参保登记"]})  # fmt: skip
    assert changed.status == 200, changed.body
    assert api.business(agent, "employment_enrolment", ENROLMENT).status == 201
    bad = api.call("PUT", f"/accounts/{agent_id}/scopes", legal_rep, json={"scopes": ["x"]})
    assert (bad.status, bad.code) == (400, "E_UNKNOWN_SCOPE")


def test_removing_an_agent_revokes_its_tokens_and_its_login(api: Api, platform: Platform) -> None:
    """A-2: 取消授权; re-granting makes a pending account that needs a new activation."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    agent_id, agent = api.grantee(legal_rep, DING_YU, scopes=["employment_enrolment"])
    removed = api.call("DELETE", f"/accounts/{agent_id}", legal_rep)
    assert removed.status == 200 and removed.body["account"]["账号状态"] == "已取消授权"
    assert api.business(agent, "employment_enrolment", ENROLMENT).status == 401
    login = api.login(NJ, DING_YU[0], AGENT_PASSWORD)
    assert (login.status, login.code) == (401, "E_LOGIN_FAILED")
    assert api.call("DELETE", f"/accounts/{agent_id}", legal_rep).status == 404  # gone
    assert "丁雨" not in str(api.call("GET", "/accounts", legal_rep).body)

    again = api.grant(legal_rep, DING_YU, scopes=["stop_insurance"])
    assert again.status == 201 and again.body["account"]["账号编号"] == agent_id
    assert api.login(NJ, DING_YU[0], AGENT_PASSWORD).code == "E_ACCOUNT_NOT_ACTIVATED"
    (account,) = accounts_of(platform, api.sandbox, DING_YU[0])
    assert (account.status, account.password_hash, account.scopes) == (
        "pending", None, ["stop_insurance"],
    )  # fmt: skip


def test_a_unit_cannot_touch_another_units_accounts(api: Api) -> None:
    """Isolation: an account of 苏州 is unknown to 南京's legal representative (404)."""
    nanjing, suzhou = api.legal_rep(NJ), api.legal_rep(SZ)
    api.agree(suzhou)
    granted = api.grant(suzhou, DING_YU, scopes=["person_collection"])
    agent_id = granted.body["account"]["账号编号"]
    for method, path, json in (
        ("DELETE", f"/accounts/{agent_id}", None),
        ("PUT", f"/accounts/{agent_id}/scopes", {"scopes": ["stop_insurance"]}),
    ):
        answer = api.call(method, path, nanjing, json=json)
        assert (answer.status, answer.code) == (404, "E_ACCOUNT_NOT_FOUND"), path
    assert api.call("GET", "/accounts", nanjing).body["经办人"] == []
    assert api.call("GET", "/accounts/audit", nanjing).body["rows"][0]["操作"] == "登录"
    suzhou_audit = api.call("GET", "/accounts/audit", suzhou).body["rows"]
    assert all("陶建国" not in row["操作人"] for row in suzhou_audit)


def test_grants_and_removals_are_audited_on_the_sandbox_clock(api: Api) -> None:
    """A-2: who, whom, what, when (the sandbox clock)."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    agent_id = api.grant(legal_rep, DING_YU, scopes=["person_collection"]).body["account"][
        "账号编号"
    ]
    api.client.put(f"/api/v1/sandboxes/{api.sandbox}/clock", json={"at": "2021-09-16 10:30"})
    api.call("PUT", f"/accounts/{agent_id}/scopes", legal_rep, json={"scopes": ["rollback"]})
    api.call("DELETE", f"/accounts/{agent_id}", legal_rep)
    audit = api.call("GET", "/accounts/audit", legal_rep, query_string={"per_page": 3}).body
    assert audit["total"] == 5 and len(audit["rows"]) == 3
    removal, change, grant = audit["rows"]
    assert (removal["操作"], removal["操作人"], removal["操作时间"]) == (
        "取消授权", "陶建国(法定代表人)", "2021-09-16 10:30:00",
    )  # fmt: skip
    assert removal["操作对象"] == "丁雨(单位经办人，320106199707071304)"
    assert removal["内容"]["授权事项"] == ["人员变更回退"]  # items by name, as on the screen
    assert (change["操作"], change["内容"]) == (
        "变更授权事项", {"变更前事项": ["人员基础信息采集"], "变更后事项": ["人员变更回退"]},
    )  # fmt: skip
    assert (grant["操作"], grant["操作时间"], grant["内容"]["级别"]) == (
        "开通授权", "2021-09-15 09:00:00", "单位经办人",
    )  # fmt: skip
    page_2 = api.call("GET", "/accounts/audit", legal_rep, query_string={"per_page": 3, "page": 2})
    assert [r["操作"] for r in page_2.body["rows"]] == ["同意授权注意事项", "登录"]


def test_the_audit_shows_levels_and_actions_in_chinese(api: Api, platform: Platform) -> None:
    """A-2, Q-2, Q-8: an agent's export and business read 丁雨(单位经办人) and 导出个人信息 —
    never the codes the rows store (``丁雨(agent)``, ``personal_data_export``)."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    _, agent = api.grantee(legal_rep, DING_YU, scopes=["employment_enrolment"])
    exported = api.client.post(
        f"/api/v1/sandboxes/{api.sandbox}/unit/exports/insured",
        json={}, headers={"Authorization": f"Bearer {agent}"},
    )  # fmt: skip
    assert exported.status_code == 200, exported.get_json()
    assert api.business(agent, "employment_enrolment", ENROLMENT).status == 201
    with platform.db.transaction() as session:
        stored = session.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.sandbox_id == api.sandbox, AuditEntry.action == "personal_data_export"
            )
        ).one()
    assert stored == "丁雨(agent)"  # as written: the display translates it

    rows = api.call("GET", "/accounts/audit", legal_rep).body["rows"]
    export_row = next(row for row in rows if row["操作代码"] == "personal_data_export")
    assert (export_row["操作"], export_row["操作人"]) == ("导出个人信息", "丁雨(单位经办人)")
    assert all(
        not re.search(r"\((legal_rep|admin|agent|counter|system)\)", row["操作人"]) for row in rows
    )
    assert all(row["操作"] != row["操作代码"] for row in rows)  # every action has its label
    exports = api.call("GET", "/unit/exports", legal_rep).body["rows"]
    assert exports[0]["导出人"] == "丁雨(单位经办人)"
    businesses = api.call("GET", "/unit/businesses", legal_rep).body["rows"]
    assert businesses[0]["经办人"] == "丁雨(单位经办人)"


def test_actor_display() -> None:
    """Stored actors as shown: codes translated, Chinese labels left alone."""
    from simulator.queries import actor_display

    assert actor_display("周明远(legal_rep)") == "周明远(法定代表人)"
    assert actor_display("张伟(agent)") == "张伟(单位经办人)"
    assert actor_display("沈一鸣(admin)") == "沈一鸣(单位管理员)"
    assert actor_display("周明远(法定代表人)") == "周明远(法定代表人)"
    assert actor_display("柜台经办(counter)") == "柜台经办"
    assert actor_display("系统(system)") == "系统"
    assert actor_display("李四(个人)") == "李四(个人)"
    assert actor_display("某人(robot)") == "某人(robot)"  # not a level: as stored
    assert actor_display("") == ""


# --- the grantee's activation (A-3) ------------------------------------------------------------


def test_activation_is_refused_with_a_clear_message(api: Api, platform: Platform) -> None:
    """A-3: the grant must exist; the password twice, to the policy; the face must pass."""
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    assert api.activate(DING_YU).code == "E_ACTIVATION_NOT_FOUND"
    api.grant(legal_rep, DING_YU)
    wrong_name = api.activate((DING_YU[0], "丁小雨"))
    assert (wrong_name.status, wrong_name.code) == (404, "E_ACTIVATION_NOT_FOUND")
    assert api.activate(DING_YU, uscc=SZ).code == "E_ACTIVATION_NOT_FOUND"
    weak = api.activate(DING_YU, "abcdefgh")
    assert (weak.status, weak.code, weak.body["behaviour_id"]) == (400, "E_WEAK_PASSWORD", "A-3")
    differ = api.activate(DING_YU, AGENT_PASSWORD, "Agent2021ko")
    assert (differ.status, differ.code) == (400, "E_PASSWORDS_DIFFER")
    api.fault("verification", "outage")
    assert api.activate(DING_YU).code == "E_VERIFICATION_SERVICE"
    api.fault("verification", "normal")
    (account,) = accounts_of(platform, api.sandbox, DING_YU[0])
    assert account.status == "pending" and account.password_hash is None
    assert api.activate(DING_YU).status == 200
    again = api.activate(DING_YU)
    assert (again.status, again.code) == (409, "E_ACCOUNT_ALREADY_ACTIVE")


def test_a_face_that_does_not_pass_leaves_the_account_pending(api: Api, platform: Platform) -> None:
    """A-3: the verification mock refuses any name containing 不通过."""
    from mocks import store

    with platform.db.transaction() as session:
        store.save_identity_record(session, api.sandbox, id_number="320106199001012433",
                                   name="王不通过", gender="男", birth_date=datetime(1990, 1, 1).date(),
                                   ethnicity="汉族", hukou_region="320106", hukou_address="南京")  # fmt: skip
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    person = ("320106199001012433", "王不通过")
    assert api.grant(legal_rep, person).status == 201
    failed = api.activate(person)
    assert (failed.status, failed.code, failed.body["message"]) == (
        422, "E_FACE_FAILED", "人脸识别未通过",
    )  # fmt: skip
    assert accounts_of(platform, api.sandbox, person[0])[0].status == "pending"


# --- login and logout (PREP-1) --------------------------------------------------------------------


@pytest.fixture
def wall_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The wall clock as simulator.accounts reads it, settable: ``clock[0] = …``."""
    clock = [datetime(2030, 1, 1, 12, 0)]
    monkeypatch.setattr(simulator.accounts, "wall_clock_now", lambda: clock[0])
    yield clock


def test_five_failed_logins_lock_for_fifteen_minutes(api: Api, wall_clock: list[datetime]) -> None:
    """PREP-1: failures per (sandbox, 统一社会信用代码, 证件号码), on the wall clock."""
    for left in (4, 3, 2, 1):
        failed = api.login(NJ, NJ_LEGAL_REP[0], "Wrong2021")
        assert (failed.status, failed.code) == (401, "E_LOGIN_FAILED")
        assert failed.body["details"]["attempts_left"] == left
        wall_clock[0] += timedelta(minutes=1)
    locked = api.login(NJ, NJ_LEGAL_REP[0], "Wrong2021")
    assert (locked.status, locked.code) == (429, "E_LOGIN_LOCKED")
    assert locked.body["message"] == "登录失败次数过多，账号已锁定，请15分钟后再试"
    assert locked.body["details"]["locked_until"] == "2030-01-01 12:19:00"
    assert api.login(NJ, NJ_LEGAL_REP[0]).code == "E_LOGIN_LOCKED"  # the right password too
    assert api.login(NJ, NJ_LEGAL_REP[0].lower()).code == "E_LOGIN_LOCKED"  # normalised
    assert api.login(SZ, SZ_LEGAL_REP[0]).status == 200  # another key is not locked
    wall_clock[0] += timedelta(minutes=14, seconds=59)
    assert api.login(NJ, NJ_LEGAL_REP[0]).code == "E_LOGIN_LOCKED"
    wall_clock[0] += timedelta(seconds=1)
    assert api.login(NJ, NJ_LEGAL_REP[0]).status == 200
    assert api.login(NJ, NJ_LEGAL_REP[0], "Wrong2021").body["details"]["attempts_left"] == 4


def test_failures_spread_beyond_fifteen_minutes_do_not_lock(
    api: Api, wall_clock: list[datetime]
) -> None:
    for _ in range(6):
        assert api.login(NJ, NJ_LEGAL_REP[0], "Wrong2021").code == "E_LOGIN_FAILED"
        wall_clock[0] += timedelta(minutes=4)
    assert api.login(NJ, NJ_LEGAL_REP[0]).status == 200


def test_a_success_starts_the_count_again(api: Api) -> None:
    for _ in range(4):
        api.login(NJ, NJ_LEGAL_REP[0], "Wrong2021")
    assert api.login(NJ, NJ_LEGAL_REP[0]).status == 200
    for _ in range(4):
        assert api.login(NJ, NJ_LEGAL_REP[0], "Wrong2021").code == "E_LOGIN_FAILED"


def test_unknown_units_and_people_count_too(api: Api, platform: Platform) -> None:
    """Nobody learns from the answers which (code, number) exists."""
    for _ in range(4):
        assert api.login("913201156530735571", "320106199001012433", "x").code == "E_LOGIN_FAILED"
    assert api.login("913201156530735571", "320106199001012433", "x").code == "E_LOGIN_LOCKED"
    with platform.db.transaction() as session:
        failures = session.scalars(
            select(AuditEntry).where(
                AuditEntry.sandbox_id == api.sandbox, AuditEntry.action == "login_failed"
            )
        ).all()
        assert len(failures) == 5 and failures[0].details["unit_id"] is None


def test_logout_revokes_the_token(api: Api) -> None:
    token = api.legal_rep()
    assert api.call("GET", "/unit", token).status == 200
    assert api.call("POST", "/logout", token).body == {"message": "已退出登录"}
    assert api.call("GET", "/unit", token).code == "E_NOT_LOGGED_IN"
    assert api.call("POST", "/logout", token).status == 401


# --- 忘记密码 (A-4) -------------------------------------------------------------------------------


def start(api: Api, **overrides: str) -> Answer:
    body = {"uscc": NJ, "id_type": "居民身份证", "id_number": NJ_LEGAL_REP[0],
            "name": NJ_LEGAL_REP[1], **overrides}  # fmt: skip
    return api.reset(**body)


def past_the_slider(api: Api) -> str:
    started = start(api)
    assert started.status == 201, started.body
    token = started.body["reset_token"]
    slid = api.reset("/slider", reset_token=token, offset=started.body["slider"]["target"] + 3)
    assert slid.status == 200, slid.body
    return str(token)


def test_reset_by_sms_code_changes_the_password_and_revokes_every_token(
    api: Api, platform: Platform
) -> None:
    """A-4: account information → slider → SMS code → new password twice → done."""
    old_token = api.legal_rep()
    started = start(api).body
    token = started["reset_token"]
    slid = api.reset("/slider", reset_token=token, offset=started["slider"]["target"] + 3)
    assert slid.body["mobile"] == "139****0002" and slid.body["methods"] == ["face", "sms"]
    sent = api.reset("/sms", reset_token=token)
    assert sent.body["message"] == "验证码已发送至139****0002，5分钟内有效"
    codes = api.client.get(f"/api/v1/sandboxes/{api.sandbox}/mocks/verification/sms").get_json()
    assert codes["codes"][0]["mobile"] == NJ_MOBILE  # the registered mobile
    checked = api.reset("/sms/check", reset_token=token, code=api.sms_code())
    assert checked.body == {"message": "短信验证码认证通过，请设置新密码", "next": "password"}
    weak = api.reset("/password", reset_token=token, password="short1", password_confirm="short1")
    assert (weak.code, weak.body["behaviour_id"]) == ("E_WEAK_PASSWORD", "A-4")
    differ = api.reset("/password", reset_token=token, password="Newpass2021",
                       password_confirm="Newpass2022")  # fmt: skip
    assert differ.code == "E_PASSWORDS_DIFFER"
    done = api.reset("/password", reset_token=token, password="Newpass2021",
                     password_confirm="Newpass2021")  # fmt: skip
    assert done.body["message"] == "密码设置完成，请使用新密码登录"

    assert api.call("GET", "/unit", old_token).status == 401
    assert api.login(NJ, NJ_LEGAL_REP[0]).code == "E_LOGIN_FAILED"
    assert api.login(NJ, NJ_LEGAL_REP[0], "Newpass2021").status == 200
    again = api.reset("/password", reset_token=token, password="Other2021",
                      password_confirm="Other2021")  # fmt: skip
    assert (again.status, again.code) == (409, "E_RESET_DONE")
    assert "password_reset" in audit_actions(platform, api.sandbox)


def test_reset_by_face(api: Api) -> None:
    token = past_the_slider(api)
    face = api.reset("/face", reset_token=token)
    assert face.body == {"message": "人脸识别通过，请设置新密码", "next": "password"}
    done = api.reset("/password", reset_token=token, password="Newpass2021",
                     password_confirm="Newpass2021")  # fmt: skip
    assert done.status == 200


def test_a_new_password_lifts_a_login_lock(api: Api) -> None:
    for _ in range(5):
        api.login(NJ, NJ_LEGAL_REP[0], "Wrong2021")
    assert api.login(NJ, NJ_LEGAL_REP[0]).code == "E_LOGIN_LOCKED"
    token = past_the_slider(api)
    api.reset("/face", reset_token=token)
    api.reset(
        "/password", reset_token=token, password="Newpass2021", password_confirm="Newpass2021"
    )
    assert api.login(NJ, NJ_LEGAL_REP[0], "Newpass2021").status == 200


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"uscc": "91320106451472402X"}, 400, "E_INVALID_INPUT"),
        ({"uscc": "913201156530735571"}, 404, "E_RESET_UNIT_NOT_SIGNED_UP"),
        ({"name": "陶建民"}, 422, "E_RESET_LEGAL_REP_MISMATCH"),
        ({"id_type": "护照"}, 422, "E_RESET_LEGAL_REP_MISMATCH"),
        ({"id_number": DING_YU[0]}, 422, "E_RESET_LEGAL_REP_MISMATCH"),
        ({"id_number": " "}, 400, "E_INVALID_INPUT"),
        ({"uscc": SZ}, 422, "E_RESET_LEGAL_REP_MISMATCH"),  # another unit's code
    ],
)
def test_the_account_information_must_match_the_legal_representative(
    api: Api, overrides: dict[str, str], status: int, code: str
) -> None:
    refused = start(api, **overrides)
    assert (refused.status, refused.code) == (status, code), refused.body
    assert refused.body["behaviour_id"] in ("A-4", None)


def test_an_agent_cannot_use_the_legal_representatives_reset(api: Api) -> None:
    legal_rep = api.legal_rep()
    api.agree(legal_rep)
    api.grantee(legal_rep, DING_YU)
    assert start(api, id_number=DING_YU[0], name=DING_YU[1]).code == "E_RESET_LEGAL_REP_MISMATCH"


def test_a_wrong_slider_gives_a_new_puzzle_and_five_close_the_attempt(api: Api) -> None:
    started = start(api).body
    token, slider = started["reset_token"], started["slider"]
    for left in (4, 3, 2, 1):
        refused = api.reset("/slider", reset_token=token, offset=slider["target"] + 6)
        assert (refused.status, refused.code) == (422, "E_SLIDER_FAILED")
        assert refused.body["details"]["attempts_left"] == left
        assert refused.body["details"]["slider"]["challenge_id"] != slider["challenge_id"]
        slider = refused.body["details"]["slider"]
    closed = api.reset("/slider", reset_token=token, offset=slider["target"] + 6)
    assert (closed.status, closed.code) == (410, "E_RESET_INVALID")
    assert (
        api.reset("/slider", reset_token=token, offset=slider["target"]).code == "E_RESET_INVALID"
    )


def test_a_slider_answered_too_late_is_refused_with_a_new_puzzle(api: Api) -> None:
    started = start(api).body
    api.client.post(f"/api/v1/sandboxes/{api.sandbox}/clock/advance", json={"minutes": 3})
    late = api.reset("/slider", reset_token=started["reset_token"],
                     offset=started["slider"]["target"])  # fmt: skip
    assert (late.code, late.body["message"]) == (
        "E_SLIDER_EXPIRED",
        "滑块验证已超时，请重新拖动滑块完成拼图",
    )
    new = late.body["details"]["slider"]
    assert (
        api.reset("/slider", reset_token=started["reset_token"], offset=new["target"]).status == 200
    )


def test_sms_codes_are_checked_by_the_mock_and_explained(api: Api) -> None:
    """A-4: wrong, expired (5 minutes on the sandbox clock), too many attempts."""
    token = past_the_slider(api)
    early = api.reset("/sms/check", reset_token=token, code="123456")
    assert (early.code, early.body["message"]) == ("E_RESET_STEP_ORDER", "请先完成获取短信验证码")
    api.reset("/sms", reset_token=token)
    wrong = api.reset("/sms/check", reset_token=token, code="000000")
    assert (wrong.status, wrong.code, wrong.body["message"]) == (
        422,
        "E_SMS_CODE_WRONG",
        "短信验证码错误",
    )
    for _ in range(4):
        api.reset("/sms/check", reset_token=token, code="000000")
    too_many = api.reset("/sms/check", reset_token=token, code=api.sms_code())
    assert (too_many.status, too_many.code) == (429, "E_SMS_TOO_MANY_ATTEMPTS")
    api.reset("/sms", reset_token=token)  # a new code
    api.client.post(f"/api/v1/sandboxes/{api.sandbox}/clock/advance", json={"minutes": 6})
    expired = api.reset("/sms/check", reset_token=token, code=api.sms_code())
    assert (expired.code, expired.body["message"]) == (
        "E_SMS_CODE_EXPIRED",
        "短信验证码已失效，请重新获取",
    )
    api.reset("/sms", reset_token=token)
    assert api.reset("/sms/check", reset_token=token, code=api.sms_code()).status == 200


def test_sms_sends_are_limited_and_need_a_registered_mobile(api: Api, platform: Platform) -> None:
    token = past_the_slider(api)
    for left in (4, 3, 2, 1, 0):
        assert api.reset("/sms", reset_token=token).body["sends_left"] == left
    exhausted = api.reset("/sms", reset_token=token)
    assert (exhausted.status, exhausted.code) == (429, "E_SMS_SENDS_EXHAUSTED")
    assert api.reset("/face", reset_token=token).status == 200  # face still works

    with platform.db.transaction() as session:
        (account,) = session.scalars(
            select(Account).where(
                Account.sandbox_id == api.sandbox, Account.id_number == NJ_LEGAL_REP[0]
            )
        )
        account.mobile = ""
    started = start(api).body
    token = started["reset_token"]
    slid = api.reset("/slider", reset_token=token, offset=started["slider"]["target"])
    assert (slid.body["mobile"], slid.body["methods"]) == ("", ["face"])
    assert api.reset("/sms", reset_token=token).code == "E_NO_REGISTERED_MOBILE"


def test_steps_out_of_order_and_stale_tokens_are_refused(
    api: Api, wall_clock: list[datetime]
) -> None:
    started = start(api).body
    token = started["reset_token"]
    for step, body in (("/face", {}), ("/sms", {}), ("/sms/check", {"code": "123456"}),
                       ("/password", {"password": "Newpass2021", "password_confirm": "Newpass2021"})):  # fmt: skip
        refused = api.reset(step, reset_token=token, **body)
        assert (refused.status, refused.code) == (409, "E_RESET_STEP_ORDER"), step
        assert refused.body["message"] == "请先完成滑块验证"
    api.reset("/slider", reset_token=token, offset=started["slider"]["target"])
    again = api.reset("/slider", reset_token=token, offset=started["slider"]["target"])
    assert again.body["message"] == "请先完成人脸识别或短信验证码认证"
    password = api.reset("/password", reset_token=token, password="Newpass2021",
                         password_confirm="Newpass2021")  # fmt: skip
    assert password.body["message"] == "请先完成人脸识别或短信验证码认证"
    unknown = api.reset("/face", reset_token="nonsense")
    assert (unknown.status, unknown.code) == (410, "E_RESET_INVALID")
    wall_clock[0] += timedelta(minutes=30)
    assert api.reset("/face", reset_token=token).code == "E_RESET_INVALID"


def test_a_face_that_does_not_pass_is_refused(api: Api, platform: Platform) -> None:
    token = past_the_slider(api)
    with platform.db.transaction() as session:
        account = session.scalars(
            select(Account).where(
                Account.sandbox_id == api.sandbox, Account.id_number == NJ_LEGAL_REP[0]
            )
        ).one()
        account.name = "陶不通过"
    failed = api.reset("/face", reset_token=token)
    assert (failed.code, failed.body["remedy"]) == (
        "E_RESET_FACE_FAILED", "请法定代表人本人重新进行人脸识别，或改用短信验证码认证。",
    )  # fmt: skip
    assert api.reset("/sms", reset_token=token).status == 200


def test_the_verification_service_failing_is_explained(api: Api) -> None:
    api.fault("verification", "outage")
    refused = start(api)
    assert (refused.status, refused.code) == (503, "E_VERIFICATION_SERVICE")


def test_the_tokens_are_stored_as_digests(api: Api, platform: Platform) -> None:
    token = api.legal_rep()
    reset = start(api).body["reset_token"]
    with platform.db.transaction() as session:
        hashes = session.scalars(select(ApiToken.token_hash)).all()
        details = session.scalars(select(AuditEntry.details)).all()
    assert token not in hashes
    assert reset not in str(details)


def test_only_unit_side_items_can_be_granted(platform: Platform) -> None:
    items = grantable_items(platform)
    assert "employment_enrolment" in items and "base_adjustment" in items
    assert not [code for code in items if code.startswith("counter_")]
