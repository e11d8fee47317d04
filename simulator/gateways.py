"""Gateways to the other agencies: public security, market regulation, verification.

The platform does not hold the facts it checks.  A person's identity comes from
the public-security person base-information service (公安部人员基准信息, I2-2), a
unit's registration from market regulation (市场监管, I1-1), and the account flows
need face verification, SMS codes and a slider check (A-3, A-4).  In ShebaoSim
those agencies are the mocks in ``mocks/``; the simulator reaches them only
through the classes here, over HTTP with ``requests`` and bounded timeouts, so
that the same code runs against the mocks mounted in the same process, a
standalone mock server, or ``responses`` in tests (``mocks.transport``).

Every failure of the service — outage (HTTP 5xx), refused connection, timeout,
or an answer that breaks the contract — is one :class:`GatewayError`; its
:meth:`GatewayError.refusal` is the documented error of the calling business
(I2-3 for identity, I1-4 for market registration).

Call a gateway before the business writes anything (in ``validate``): a fault
then refuses the business with nothing stored, and the mock's own journal write
never waits on the business's transaction.

The contract itself (paths, fields, magic values) is in ``docs/mocks.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import quote

import requests

from simulator.errors import ErrorSpec, Refused

if TYPE_CHECKING:
    from simulator.platform import Platform

#: The mocks' base URL when none is configured: the in-process transport
#: (``mocks.transport``) intercepts this host; nothing on the network answers it.
DEFAULT_MOCKS_BASE_URL = "http://mocks.invalid/mocks"
DEFAULT_TIMEOUT_SECONDS = 3.0

#: Every request names its sandbox: the mocks keep one world per sandbox.
SANDBOX_HEADER = "X-Sandbox-Id"
#: Set by a mock server that could not drop the connection itself for the
#: ``refused`` fault: the gateway treats the answer as a refused connection.
FAULT_HEADER = "X-Mock-Fault"

Service = Literal["identity", "market", "verification"]
FailureKind = Literal["outage", "refused", "timeout", "malformed"]
IdentityResult = Literal["match", "mismatch", "not_found"]
SmsCheckResult = Literal["ok", "wrong", "expired", "too_many_attempts", "unknown"]

# The documented errors a service failure becomes.
IDENTITY_SERVICE_FAILED = ErrorSpec(
    code="E_IDENTITY_SERVICE",
    message="调用公安部人员基准信息查询接口出错。请稍后或第二天再试",
    remedy="公安部人员基准信息查询接口暂时不可用，本次未保存任何信息；请稍后或第二天重新提交。",
    behaviour_id="I2-3",
    http_status=503,
)
MARKET_LOOKUP_FAILED = ErrorSpec(
    code="E_MARKET_LOOKUP",
    message="需至当地社保大厅处理",
    remedy="未能从市场监管部门获取单位登记信息（未找到、已注销或吊销、或查询出错），请携带材料至当地社保大厅办理。",
    behaviour_id="I1-4",
)
#: I1-4 by case — at 单位实名注册 (PREP-1) as at 企业社会保险信息登记: one message for every
#: way the market look-up fails; the remedy says which one it was (:func:`market_refusal`).
MARKET_NOT_FOUND = ErrorSpec(
    code="E_MARKET_LOOKUP",
    message="需至当地社保大厅处理",
    remedy=(
        "市场监管部门未查询到本单位统一社会信用代码的登记信息，无法自动获取单位基本信息；"
        "请携带营业执照等材料至当地社保大厅办理企业社会保险登记。"
    ),
    behaviour_id="I1-4",
)
MARKET_NOT_ACTIVE = ErrorSpec(
    code="E_MARKET_LOOKUP",
    message="需至当地社保大厅处理",
    remedy=(
        "本单位在市场监管部门的登记状态为“{status}”（非存续），不能在网上办理；"
        "请携带相关材料至当地社保大厅处理。"
    ),
    behaviour_id="I1-4",
)
MARKET_SERVICE_FAILED = ErrorSpec(
    code="E_MARKET_LOOKUP",
    message="需至当地社保大厅处理",
    remedy=(
        "查询市场监管部门登记信息时接口出错（{failure}），本次未保存任何信息；"
        "请稍后重新提交，仍不成功的请至当地社保大厅处理。"
    ),
    behaviour_id="I1-4",
)
FAILURE_WORDS = {
    "outage": "服务不可用",
    "refused": "连接被拒绝",
    "timeout": "查询超时",
    "malformed": "返回数据异常",
}

VERIFICATION_SERVICE_FAILED = ErrorSpec(
    code="E_VERIFICATION_SERVICE",
    message="身份核验服务暂不可用，请稍后再试",
    remedy="人脸识别、短信验证码或滑块验证服务暂时不可用，本次未保存任何信息；请稍后重试。",
    behaviour_id="A-4",
    http_status=503,
)
SERVICE_FAILURE_ERRORS: dict[str, ErrorSpec] = {
    "identity": IDENTITY_SERVICE_FAILED,
    "market": MARKET_LOOKUP_FAILED,
    "verification": VERIFICATION_SERVICE_FAILED,
}


class GatewayError(Exception):
    """A call to another agency's service failed; nothing it answered can be used.

    ``kind`` says how: ``outage`` (HTTP 5xx), ``refused`` (no connection),
    ``timeout`` (no answer within the gateway's timeout) or ``malformed`` (an
    answer that is not the documented JSON).
    """

    def __init__(self, service: Service, kind: FailureKind, detail: str = "") -> None:
        self.service = service
        self.kind = kind
        self.detail = detail
        super().__init__(f"{service} service {kind}" + (f": {detail}" if detail else ""))

    def refusal(self) -> Refused:
        """The documented error of the business that needed this service (to ``raise``)."""
        problem = SERVICE_FAILURE_ERRORS[self.service].error()
        return Refused(replace(problem, details={"service": self.service, "failure": self.kind}))


@dataclass(frozen=True)
class IdentityFacts:
    """What public security has registered for a person (I2-6's checked fields)."""

    id_number: str
    name: str
    gender: str  # 男 / 女
    birth_date: date
    ethnicity: str  # 民族
    hukou_region: str  # 户籍地行政区划
    hukou_address: str  # 户籍地址


@dataclass(frozen=True)
class IdentityAnswer:
    """The public-security comparison of (证件号码, 姓名): facts only on a match."""

    result: IdentityResult
    facts: IdentityFacts | None = None

    @property
    def matched(self) -> bool:
        return self.result == "match"


@dataclass(frozen=True)
class MarketUnit:
    """A unit as market regulation registered it (I1-1)."""

    uscc: str  # 统一社会信用代码
    name: str
    legal_rep_name: str
    legal_rep_id_type: str
    legal_rep_id_number: str
    nature: str  # 企业, 个体工商户, 机关, 事业单位, 民办非企业 …
    is_hr_agency: bool  # 人力资源服务机构 with a labour-dispatch licence
    address: str
    region_code: str
    registered_on: date
    status: str  # 存续 / 注销 / 吊销

    @property
    def active(self) -> bool:
        """Only a unit in existence (存续) can be registered for insurance (I1-4)."""
        return self.status == "存续"


class _Client:
    """One service's HTTP calls: the sandbox header, the timeout, the failure kinds."""

    def __init__(
        self, service: Service, session: requests.Session, base_url: str, timeout: float
    ) -> None:
        self.service: Service = service
        self.session = session
        self.url = f"{base_url.rstrip('/')}/{service}"
        self.timeout = timeout

    def call(
        self, method: str, path: str, sandbox_id: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            response = self.session.request(
                method,
                self.url + path,
                json=payload,
                headers={SANDBOX_HEADER: sandbox_id, "Accept": "application/json"},
                timeout=self.timeout,
            )
        # ConnectTimeout is both a Timeout and a ConnectionError: a timeout first.
        except requests.Timeout as error:
            raise self.failure("timeout", str(error)) from error
        except requests.RequestException as error:
            raise self.failure("refused", str(error)) from error
        if response.headers.get(FAULT_HEADER) == "refused":
            raise self.failure("refused", "the service dropped the connection")
        if response.status_code >= 500:
            raise self.failure("outage", f"HTTP {response.status_code}")
        if response.status_code != 200:
            # Anything but 200 from a healthy service breaks the contract (a wrong
            # base URL, a request the service does not understand).
            raise self.failure("malformed", f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as error:
            raise self.failure("malformed", "the answer is not JSON") from error
        if not isinstance(body, dict):
            raise self.failure("malformed", "the answer is not a JSON object")
        return body

    def failure(self, kind: FailureKind, detail: str) -> GatewayError:
        return GatewayError(self.service, kind, detail)

    def field(self, body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
        """``body[name]`` if it has the contract's type; a malformed answer otherwise."""
        value = body.get(name)
        # bool is an int in Python: an int field must not accept True.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.failure("malformed", f"field {name!r} missing or of the wrong type")
        return value

    def choice(self, body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
        value = self.field(body, name, str)
        if value not in allowed:
            raise self.failure("malformed", f"field {name!r} has an unknown value {value!r}")
        return str(value)

    def day(self, body: dict[str, Any], name: str) -> date:
        try:
            return date.fromisoformat(self.field(body, name, str))
        except ValueError as error:
            raise self.failure("malformed", f"field {name!r} is not a date") from error


class IdentityGateway:
    """公安部人员基准信息: compare (证件号码, 姓名) with the registered person (I2-2)."""

    def __init__(self, client: _Client) -> None:
        self._client = client

    def verify(self, sandbox_id: str, id_number: str, name: str) -> IdentityAnswer:
        client = self._client
        body = client.call("POST", "/verify", sandbox_id, {"id_number": id_number, "name": name})
        result = client.choice(body, "result", get_args(IdentityResult))
        if result != "match":
            return IdentityAnswer(result=result)  # type: ignore[arg-type]
        facts = client.field(body, "facts", dict)
        return IdentityAnswer(
            result="match",
            facts=IdentityFacts(
                id_number=client.field(facts, "id_number", str),
                name=client.field(facts, "name", str),
                gender=client.choice(facts, "gender", ("男", "女")),
                birth_date=client.day(facts, "birth_date"),
                ethnicity=client.field(facts, "ethnicity", str),
                hukou_region=client.field(facts, "hukou_region", str),
                hukou_address=client.field(facts, "hukou_address", str),
            ),
        )


class MarketGateway:
    """市场监管: a unit's registration by 统一社会信用代码 (I1-1, F-4)."""

    def __init__(self, client: _Client) -> None:
        self._client = client

    def lookup(self, sandbox_id: str, uscc: str) -> MarketUnit | None:
        """The registered unit, whatever its status; ``None`` when market regulation has none."""
        client = self._client
        body = client.call("GET", f"/units/{quote(uscc, safe='')}", sandbox_id)
        if client.choice(body, "result", ("found", "not_found")) == "not_found":
            return None
        unit = client.field(body, "unit", dict)
        legal_rep = client.field(unit, "legal_rep", dict)
        return MarketUnit(
            uscc=client.field(unit, "uscc", str),
            name=client.field(unit, "name", str),
            legal_rep_name=client.field(legal_rep, "name", str),
            legal_rep_id_type=client.field(legal_rep, "id_type", str),
            legal_rep_id_number=client.field(legal_rep, "id_number", str),
            nature=client.field(unit, "nature", str),
            is_hr_agency=client.field(unit, "is_hr_agency", bool),
            address=client.field(unit, "address", str),
            region_code=client.field(unit, "region_code", str),
            registered_on=client.day(unit, "registered_on"),
            status=client.choice(unit, "status", ("存续", "注销", "吊销")),
        )


class VerificationGateway:
    """人脸识别, 短信验证码 and 滑块验证 for the account flows (A-3, A-4)."""

    def __init__(self, client: _Client) -> None:
        self._client = client

    def face(self, sandbox_id: str, id_number: str, name: str) -> bool:
        """Whether the person in front of the camera is (证件号码, 姓名)."""
        body = self._client.call(
            "POST", "/face", sandbox_id, {"id_number": id_number, "name": name}
        )
        return bool(self._client.field(body, "passed", bool))

    def send_sms(self, sandbox_id: str, mobile: str) -> str:
        """Send a code to ``mobile``; the request id to check it with."""
        body = self._client.call("POST", "/sms", sandbox_id, {"mobile": mobile})
        return str(self._client.field(body, "request_id", str))

    def check_sms(self, sandbox_id: str, request_id: str, code: str) -> SmsCheckResult:
        """``ok``, ``wrong``, ``expired``, ``too_many_attempts`` or ``unknown``."""
        body = self._client.call(
            "POST", "/sms/check", sandbox_id, {"request_id": request_id, "code": code}
        )
        return self._client.choice(body, "result", get_args(SmsCheckResult))  # type: ignore[return-value]

    def slider_challenge(self, sandbox_id: str) -> dict[str, Any]:
        """A new slider puzzle: ``challenge_id``, ``width``, ``piece_width``, ``target``
        (the gap, in px), ``tolerance`` and ``expires_at`` (sandbox clock)."""
        client = self._client
        body = client.call("POST", "/slider", sandbox_id, {})
        return {
            "challenge_id": client.field(body, "challenge_id", str),
            "width": client.field(body, "width", int),
            "piece_width": client.field(body, "piece_width", int),
            "target": client.field(body, "target", int),
            "tolerance": client.field(body, "tolerance", int),
            "expires_at": client.field(body, "expires_at", str),
        }

    def slider_check(self, sandbox_id: str, challenge_id: str, offset: int) -> bool:
        """Whether the piece was dropped on the gap; a challenge answers once."""
        body = self._client.call(
            "POST", "/slider/check", sandbox_id, {"challenge_id": challenge_id, "offset": offset}
        )
        return bool(self._client.field(body, "passed", bool))


class Gateways:
    """The three gateways, sharing one HTTP session, base URL and timeout."""

    def __init__(
        self,
        base_url: str = DEFAULT_MOCKS_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        *,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.session = session or requests.Session()
        self.identity = IdentityGateway(self._client("identity"))
        self.market = MarketGateway(self._client("market"))
        self.verification = VerificationGateway(self._client("verification"))

    def _client(self, service: Service) -> _Client:
        return _Client(service, self.session, self.base_url, self.timeout)

    def close(self) -> None:
        self.session.close()


def gateways_for(platform: Platform) -> Gateways:
    """The platform's gateways, built from its settings and kept on it.

    Settings: ``mocks_base_url`` (default :data:`DEFAULT_MOCKS_BASE_URL`) and
    ``gateway_timeout`` in seconds (default 3.0).  Changing either gives new
    gateways on the next call.
    """
    base_url = str(platform.settings.get("mocks_base_url") or DEFAULT_MOCKS_BASE_URL).rstrip("/")
    timeout = float(platform.settings.get("gateway_timeout", DEFAULT_TIMEOUT_SECONDS))
    cached = platform.settings.get("_gateways")
    if isinstance(cached, Gateways) and (cached.base_url, cached.timeout) == (base_url, timeout):
        return cached
    if isinstance(cached, Gateways):
        cached.close()
    gateways = Gateways(base_url, timeout)
    platform.settings["_gateways"] = gateways
    return gateways


def market_refusal(found: MarketUnit | None, error: GatewayError | None = None) -> Refused | None:
    """I1-4: why a market-registration look-up cannot be used — the service failed
    (``error``), nothing was found, or the unit is not 存续 — or ``None`` when it can."""
    if error is not None:
        problem = MARKET_SERVICE_FAILED.error(failure=FAILURE_WORDS.get(error.kind, error.kind))
        return Refused(replace(problem, details={"service": error.service, "failure": error.kind}))
    if found is None:
        return MARKET_NOT_FOUND.refuse()
    if not found.active:
        problem = MARKET_NOT_ACTIVE.error(status=found.status)
        return Refused(replace(problem, details={"status": found.status}))
    return None
