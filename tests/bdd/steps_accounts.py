"""Steps for the unit's accounts: 经办人管理, activation, login and 忘记密码 (A-1 … A-4, PREP-1).

The features use the ``cities`` world (``docs/worlds.md``): every insured unit's
法定代表人 logs in with the world password, and the world's people are known to public
security, so they can be granted.  Everything goes through the driver, so the same
scenarios run in-process and against a running simulator.
"""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from bdd.drivers import Driver, Reply
from simulator.worlds import DEFAULT_PASSWORD

#: the grant form's labels (开通授权) and the API's fields
GRANT_LABELS = {
    "授权级别": "level",
    "证件类型": "id_type",
    "证件号码": "id_number",
    "姓名": "name",
    "手机号码": "mobile",
    "授权事项": "scopes",
}
LEVELS = {"管理员": "admin", "单位管理员": "admin", "经办人": "agent", "单位经办人": "agent"}
SCOPE_SEPARATOR = "、"


def _sandbox(world_state: dict) -> str:
    return world_state["sandbox"]


def _ok(reply: Reply) -> Any:
    assert reply.ok, reply.body
    return reply.body


def _unit(driver: Driver, world_state: dict, unit_name: str) -> dict[str, Any]:
    """The unit as market regulation registered it (统一社会信用代码, legal representative)."""
    records = _ok(driver.market_records(_sandbox(world_state)))["records"]
    unit = next(r for r in records if r["name"] == unit_name)
    world_state["account_unit"] = unit
    return unit


def _scopes(text: str) -> list[str]:
    return [part.strip() for part in text.split(SCOPE_SEPARATOR) if part.strip()]


def _grant(driver: Driver, world_state: dict, body: dict[str, Any]) -> Reply:
    reply = driver.grant_account(_sandbox(world_state), body)
    world_state["reply"] = reply
    if reply.ok:
        account = reply.body["account"]
        world_state.setdefault("grantees", {})[account["姓名"]] = {
            "id": account["账号编号"],
            "id_number": account["证件号码"],
            "uscc": world_state["account_unit"]["uscc"],
        }
    return reply


def _grantee(world_state: dict, name: str) -> dict[str, Any]:
    return world_state["grantees"][name]


# --- 经办人管理 (A-1, A-2, A-3) -------------------------------------------------------------


@given(parsers.parse('以单位 "{unit_name}" 的法定代表人身份登录经办人管理'))
def legal_rep_in_account_management(driver: Driver, world_state: dict, unit_name: str) -> None:
    unit = _unit(driver, world_state, unit_name)
    reply = driver.login(
        _sandbox(world_state), unit["uscc"], unit["legal_rep"]["id_number"], DEFAULT_PASSWORD
    )
    _ok(reply)


@when("阅读授权注意事项")
def read_notice(driver: Driver, world_state: dict) -> None:
    world_state["reply"] = driver.grant_notice(_sandbox(world_state))


@then(parsers.parse('授权注意事项包含 "{words}"'))
def notice_says(world_state: dict, words: str) -> None:
    assert words in _ok(world_state["reply"])["notice"]


@given("点击“同意开通”")
@when("点击“同意开通”")
def agree(driver: Driver, world_state: dict) -> None:
    world_state["reply"] = driver.agree_grant_notice(_sandbox(world_state))
    _ok(world_state["reply"])


@given("开通授权：")
@when("开通授权：")
def grant(driver: Driver, world_state: dict, datatable: list[list[str]]) -> None:
    rows = datatable[1:] if datatable and datatable[0] == ["字段", "值"] else datatable
    body: dict[str, Any] = {GRANT_LABELS[label]: value for label, value in rows}
    body["level"] = LEVELS.get(body["level"], body["level"])
    body["scopes"] = _scopes(body.get("scopes", ""))
    _grant(driver, world_state, body)


@given(parsers.parse('为 "{name}"（证件号码 "{id_number}"）开通{level}授权，授权事项为 "{items}"'))
@when(parsers.parse('为 "{name}"（证件号码 "{id_number}"）开通{level}授权，授权事项为 "{items}"'))
def grant_with_items(
    driver: Driver, world_state: dict, name: str, id_number: str, level: str, items: str
) -> None:
    body = {"level": LEVELS[level], "id_number": id_number, "name": name,
            "mobile": "13800000000", "scopes": _scopes(items)}  # fmt: skip
    _grant(driver, world_state, body)


@given(parsers.parse('为 "{name}"（证件号码 "{id_number}"）开通{level}授权'))
@when(parsers.parse('为 "{name}"（证件号码 "{id_number}"）开通{level}授权'))
def grant_level(driver: Driver, world_state: dict, name: str, id_number: str, level: str) -> None:
    body = {"level": LEVELS[level], "id_number": id_number, "name": name, "mobile": "13800000000"}
    _grant(driver, world_state, body)


@then("授权成功")
def granted(world_state: dict) -> None:
    reply: Reply = world_state["reply"]
    assert reply.status == 201, reply.body
    assert reply.body["account"]["账号状态"] == "待激活", reply.body


@when("查看经办人管理")
def look_at_accounts(driver: Driver, world_state: dict) -> None:
    world_state["reply"] = driver.accounts(_sandbox(world_state))


def _listed(driver: Driver, world_state: dict) -> dict[str, list[dict[str, Any]]]:
    return _ok(driver.accounts(_sandbox(world_state)))


@then(parsers.parse('经办人管理中{level}有 "{name}"，状态为 "{status}"，授权事项为 "{items}"'))
def listed_with_items(
    driver: Driver, world_state: dict, level: str, name: str, status: str, items: str
) -> None:
    row = next(r for r in _listed(driver, world_state)[level] if r["姓名"] == name)
    assert row["账号状态"] == status, row
    shown = (
        "全部事项"
        if row["全部事项"]
        else SCOPE_SEPARATOR.join(scope["事项名称"] for scope in row["授权事项"])
    )
    assert shown == items, row


@then(
    parsers.parse(
        "经办人管理按级别列出：法定代表人 {legal_reps:d} 人，管理员 {admins:d} 人，经办人 {agents:d} 人"
    )
)
def listed_by_level(
    driver: Driver, world_state: dict, legal_reps: int, admins: int, agents: int
) -> None:
    listed = _listed(driver, world_state)
    counts = (len(listed["法定代表人"]), len(listed["管理员"]), len(listed["经办人"]))
    assert counts == (legal_reps, admins, agents), listed


@then(parsers.parse('经办人管理中没有 "{name}"'))
def not_listed(driver: Driver, world_state: dict, name: str) -> None:
    listed = _listed(driver, world_state)
    assert all(r["姓名"] != name for rows in listed.values() for r in rows), listed


@when(parsers.parse('将 "{name}" 的授权事项变更为 "{items}"'))
def change_items(driver: Driver, world_state: dict, name: str, items: str) -> None:
    account_id = _grantee(world_state, name)["id"]
    world_state["reply"] = driver.change_scopes(_sandbox(world_state), account_id, _scopes(items))


@given(parsers.parse('取消 "{name}" 的授权'))
@when(parsers.parse('取消 "{name}" 的授权'))
def remove(driver: Driver, world_state: dict, name: str) -> None:
    account_id = _grantee(world_state, name)["id"]
    world_state["reply"] = driver.remove_account(_sandbox(world_state), account_id)


@then(parsers.parse('授权记录中有 "{who}" 对 "{whom}" 的 "{action}"，操作时间 "{at}"'))
def audited(driver: Driver, world_state: dict, who: str, whom: str, action: str, at: str) -> None:
    rows = _ok(driver.account_audit(_sandbox(world_state)))["rows"]
    assert any(
        r["操作人"].startswith(who) and r["操作对象"].startswith(whom)
        and r["操作"] == action and r["操作时间"] == at
        for r in rows
    ), rows  # fmt: skip


# --- the grantee and login (PREP-1) ----------------------------------------------------------


def _activate(driver: Driver, world_state: dict, name: str, password: str, confirm: str) -> Reply:
    grantee = _grantee(world_state, name)
    body = {"uscc": grantee["uscc"], "id_number": grantee["id_number"], "name": name,
            "password": password, "password_confirm": confirm}  # fmt: skip
    world_state["reply"] = driver.activate_account(_sandbox(world_state), body)
    return world_state["reply"]


@given(parsers.parse('"{name}" 完成人脸识别并设置登录密码 "{password}"'))
@when(parsers.parse('"{name}" 完成人脸识别并设置登录密码 "{password}"'))
def activate(driver: Driver, world_state: dict, name: str, password: str) -> None:
    _ok(_activate(driver, world_state, name, password, password))


@when(parsers.parse('"{name}" 进行人脸识别并设置登录密码 "{password}"，确认密码 "{confirm}"'))
def try_activate(driver: Driver, world_state: dict, name: str, password: str, confirm: str) -> None:
    _activate(driver, world_state, name, password, confirm)


@given(parsers.parse('"{name}" 以证件号码和密码 "{password}" 登录单位'))
@when(parsers.parse('"{name}" 以证件号码和密码 "{password}" 登录单位'))
def grantee_login(driver: Driver, world_state: dict, name: str, password: str) -> None:
    grantee = _grantee(world_state, name)
    world_state["reply"] = driver.login(
        _sandbox(world_state), grantee["uscc"], grantee["id_number"], password
    )


@then("登录成功")
def logged_in(world_state: dict) -> None:
    reply: Reply = world_state["reply"]
    assert reply.ok and reply.body["token"], reply.body


@when(parsers.parse('以密码 "{password}" 登录单位 "{unit_name}" 的法定代表人账号'))
def legal_rep_login(driver: Driver, world_state: dict, password: str, unit_name: str) -> None:
    unit = _unit(driver, world_state, unit_name)
    world_state["reply"] = driver.login(
        _sandbox(world_state), unit["uscc"], unit["legal_rep"]["id_number"], password
    )


@given(parsers.parse('以错误密码连续 {times:d} 次登录单位 "{unit_name}" 的法定代表人账号'))
@when(parsers.parse('以错误密码连续 {times:d} 次登录单位 "{unit_name}" 的法定代表人账号'))
def failed_logins(driver: Driver, world_state: dict, times: int, unit_name: str) -> None:
    unit = _unit(driver, world_state, unit_name)
    for _ in range(times):
        world_state["reply"] = driver.login(
            _sandbox(world_state), unit["uscc"], unit["legal_rep"]["id_number"], "Wrong12345"
        )
        assert not world_state["reply"].ok


@given("退出登录")
@when("退出登录")
def log_out(driver: Driver, world_state: dict) -> None:
    world_state["reply"] = driver.logout(_sandbox(world_state))
    _ok(world_state["reply"])


# --- 忘记密码 (A-4) --------------------------------------------------------------------------------


def _reset(driver: Driver, world_state: dict, step: str, **body: Any) -> Reply:
    token = world_state.get("reset", {}).get("reset_token")
    if step != "start":
        body = {"reset_token": token, **body}
    reply = driver.password_reset(_sandbox(world_state), step, body)
    world_state["reply"] = reply
    if reply.ok and step == "start":
        world_state["reset"] = dict(reply.body)
    elif not reply.ok and "slider" in (reply.body.get("details") or {}):
        world_state["reset"]["slider"] = reply.body["details"]["slider"]  # a new puzzle
    return reply


@when("点击“忘记密码？”，填写账号信息：")
def reset_start(driver: Driver, world_state: dict, datatable: list[list[str]]) -> None:
    labels = {"统一社会信用代码": "uscc", "法定代表人证件类型": "id_type",
              "法定代表人证件号码": "id_number", "法定代表人姓名": "name"}  # fmt: skip
    rows = datatable[1:] if datatable and datatable[0] == ["字段", "值"] else datatable
    _reset(driver, world_state, "start", **{labels[label]: value for label, value in rows})


@given(parsers.parse('单位 "{unit_name}" 的法定代表人点击“忘记密码？”并填写了正确的账号信息'))
@when(parsers.parse('单位 "{unit_name}" 的法定代表人点击“忘记密码？”并填写了正确的账号信息'))
def reset_start_right(driver: Driver, world_state: dict, unit_name: str) -> None:
    unit = _unit(driver, world_state, unit_name)
    legal_rep = unit["legal_rep"]
    reply = _reset(driver, world_state, "start", uscc=unit["uscc"], id_type=legal_rep["id_type"],
                   id_number=legal_rep["id_number"], name=legal_rep["name"])  # fmt: skip
    _ok(reply)


@then("出现拖动滑块完成拼图的验证")
def slider_shown(world_state: dict) -> None:
    body = _ok(world_state["reply"])
    assert body["next"] == "slider" and body["slider"]["challenge_id"], body


@given("拖动滑块完成拼图")
@when("拖动滑块完成拼图")
def slide(driver: Driver, world_state: dict) -> None:
    _reset(driver, world_state, "slider", offset=world_state["reset"]["slider"]["target"])


@when(parsers.parse("拖动滑块，偏离缺口 {pixels:d} 像素"))
def slide_off(driver: Driver, world_state: dict, pixels: int) -> None:
    offset = world_state["reset"]["slider"]["target"] + pixels
    _reset(driver, world_state, "slider", offset=offset)


@when("通过人脸识别认证法定代表人")
def reset_face(driver: Driver, world_state: dict) -> None:
    _reset(driver, world_state, "face")


@given("获取短信验证码")
@when("获取短信验证码")
def reset_sms(driver: Driver, world_state: dict) -> None:
    _reset(driver, world_state, "sms")


@when("输入收到的短信验证码")
def reset_sms_right(driver: Driver, world_state: dict) -> None:
    codes = _ok(driver.sms_codes(_sandbox(world_state)))["codes"]  # newest first
    _reset(driver, world_state, "sms_check", code=codes[0]["code"])


@when(parsers.parse('输入短信验证码 "{code}"'))
def reset_sms_typed(driver: Driver, world_state: dict, code: str) -> None:
    _reset(driver, world_state, "sms_check", code=code)


@when(parsers.parse('设置新密码 "{password}"，确认密码 "{confirm}"'))
def reset_password(driver: Driver, world_state: dict, password: str, confirm: str) -> None:
    _reset(driver, world_state, "password", password=password, password_confirm=confirm)
