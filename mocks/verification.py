"""Mock of the verification services of the account flows: face, SMS code, slider.

Granting an administrator or agent ends with the grantee's face verification
(人脸识别, A-3); a forgotten password goes through a slider check (滑块验证), then
face verification or an SMS code (短信验证码), A-4.  A sandbox has no camera and
no phone, so:

* **face** passes, except for a name containing ``不通过``;
* **SMS**: a 6-digit code is "sent" and kept; the tester reads it through
  ``GET /api/v1/sandboxes/<sid>/mocks/verification/sms``.  A code expires 5
  minutes after sending on the sandbox clock, allows at most 5 checks and one
  successful use; ``000000`` is never a valid code;
* **slider**: a challenge states the gap's position (``target``, in px of a
  ``width`` px track — there is no image to hide it in); dropping the piece
  within ±5 px of it passes.  A challenge answers once and expires after 2
  minutes on the sandbox clock.

Slider challenges are kept in the verification-code table with the channel
``slider`` in place of a mobile number, and the gap's position as the code.

Contract: ``POST /mocks/verification/{face, sms, sms/check, slider, slider/check}``
with header ``X-Sandbox-Id``.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from mocks import store
from mocks.faults import MockAnswer, MockCall, SandboxHeader, ServiceFailure, serve_call
from mocks.models import VerificationCode
from simulator.api import ErrorBody

SERVICE = "verification"
FAILING_FACE_NAME_PART = "不通过"

SMS_CODE_LIFETIME = timedelta(minutes=5)
SMS_MAX_ATTEMPTS = 5
NEVER_VALID_SMS_CODE = "000000"

SLIDER_CHANNEL = "slider"
SLIDER_LIFETIME = timedelta(minutes=2)
SLIDER_WIDTH = 300
SLIDER_PIECE_WIDTH = 40
SLIDER_TOLERANCE = 5

tag = Tag(
    name="模拟服务 身份核验",
    description="Mock face verification (人脸识别), SMS codes (短信验证码) and the slider check",
)
api = APIBlueprint(
    "mock_verification",
    __name__,
    url_prefix="/mocks/verification",
    abp_tags=[tag],
    abp_responses={400: ErrorBody, 503: ServiceFailure},
)
api.record_once(store.install_from_platform)


# --- the contract -------------------------------------------------------------------------


class FaceQuery(BaseModel):
    id_number: str = Field(min_length=1, max_length=18, description="证件号码")
    name: str = Field(min_length=1, max_length=50, description="姓名")


class FaceAnswer(BaseModel):
    passed: bool = Field(description="the person in front of the camera is the holder")
    score: float = Field(description="similarity score, 0..1")


class SmsSend(BaseModel):
    mobile: str = Field(pattern=r"^1\d{10}$", description="移动电话 (11 digits)")


class SmsSent(BaseModel):
    request_id: str = Field(description="quote it when checking the code")
    sent_at: str = Field(description="sandbox clock, YYYY-MM-DD HH:MM:SS")
    expires_at: str = Field(description="sandbox clock, YYYY-MM-DD HH:MM:SS")


class SmsCheck(BaseModel):
    request_id: str = Field(min_length=1, max_length=40)
    code: str = Field(min_length=1, max_length=12, description="the code the user typed")


class SmsChecked(BaseModel):
    result: Literal["ok", "wrong", "expired", "too_many_attempts", "unknown"]
    attempts_left: int


class SliderChallenge(BaseModel):
    challenge_id: str
    width: int = Field(description="track width, px")
    piece_width: int = Field(description="puzzle piece width, px")
    target: int = Field(description="the gap's left edge, px from the start of the track")
    tolerance: int = Field(description="an offset within ±tolerance px of target passes")
    expires_at: str = Field(description="sandbox clock, YYYY-MM-DD HH:MM:SS")


class SliderCheck(BaseModel):
    challenge_id: str = Field(min_length=1, max_length=40)
    offset: int = Field(ge=-10_000, le=10_000, description="where the piece was dropped, px")


class SliderChecked(BaseModel):
    passed: bool
    reason: Literal["ok", "off_target", "expired", "used", "unknown"]


# --- the rules ----------------------------------------------------------------------------


def _at(moment: datetime) -> str:
    return moment.isoformat(sep=" ")


def new_sms_code() -> str:
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        if code != NEVER_VALID_SMS_CODE:
            return code


def _pending(session: Session, sandbox_id: str, request_id: str) -> VerificationCode | None:
    return session.scalars(
        select(VerificationCode).where(
            VerificationCode.sandbox_id == sandbox_id, VerificationCode.request_id == request_id
        )
    ).first()


def face_answer(query: FaceQuery) -> MockAnswer:
    if FAILING_FACE_NAME_PART in query.name:
        return MockAnswer({"passed": False, "score": 0.12})
    return MockAnswer({"passed": True, "score": 0.97})


def send_sms_answer(call: MockCall, mobile: str) -> MockAnswer:
    sent = VerificationCode(
        sandbox_id=call.sandbox_id,
        request_id=uuid.uuid4().hex,
        mobile=mobile,
        code=new_sms_code(),
        sent_at=call.now,
        expires_at=call.now + SMS_CODE_LIFETIME,
        attempts=0,
        used=False,
    )
    call.session.add(sent)
    call.session.flush()
    return MockAnswer(
        {
            "request_id": sent.request_id,
            "sent_at": _at(sent.sent_at),
            "expires_at": _at(sent.expires_at),
        }
    )


def check_sms_answer(call: MockCall, check: SmsCheck) -> MockAnswer:
    sent = _pending(call.session, call.sandbox_id, check.request_id)
    if sent is None or sent.mobile == SLIDER_CHANNEL:
        return MockAnswer({"result": "unknown", "attempts_left": 0})
    if sent.used:
        # A code is good for one use: afterwards it is spent, like an expired one.
        return MockAnswer({"result": "expired", "attempts_left": 0})
    if sent.attempts >= SMS_MAX_ATTEMPTS:
        return MockAnswer({"result": "too_many_attempts", "attempts_left": 0})
    if call.now > sent.expires_at:
        return MockAnswer({"result": "expired", "attempts_left": SMS_MAX_ATTEMPTS - sent.attempts})
    sent.attempts += 1
    left = SMS_MAX_ATTEMPTS - sent.attempts
    typed = check.code.strip()
    if typed == NEVER_VALID_SMS_CODE or not secrets.compare_digest(typed, sent.code):
        return MockAnswer({"result": "wrong", "attempts_left": left})
    sent.used = True
    return MockAnswer({"result": "ok", "attempts_left": left})


def slider_challenge_answer(call: MockCall) -> MockAnswer:
    target = SLIDER_PIECE_WIDTH + secrets.randbelow(SLIDER_WIDTH - 2 * SLIDER_PIECE_WIDTH)
    challenge = VerificationCode(
        sandbox_id=call.sandbox_id,
        request_id=uuid.uuid4().hex,
        mobile=SLIDER_CHANNEL,
        code=f"{target:06d}",
        sent_at=call.now,
        expires_at=call.now + SLIDER_LIFETIME,
        attempts=0,
        used=False,
    )
    call.session.add(challenge)
    call.session.flush()
    return MockAnswer(
        {
            "challenge_id": challenge.request_id,
            "width": SLIDER_WIDTH,
            "piece_width": SLIDER_PIECE_WIDTH,
            "target": target,
            "tolerance": SLIDER_TOLERANCE,
            "expires_at": _at(challenge.expires_at),
        }
    )


def slider_check_answer(call: MockCall, check: SliderCheck) -> MockAnswer:
    challenge = _pending(call.session, call.sandbox_id, check.challenge_id)
    if challenge is None or challenge.mobile != SLIDER_CHANNEL:
        return MockAnswer({"passed": False, "reason": "unknown"})
    if challenge.used:
        return MockAnswer({"passed": False, "reason": "used"})
    challenge.used = True
    challenge.attempts += 1
    if call.now > challenge.expires_at:
        return MockAnswer({"passed": False, "reason": "expired"})
    if abs(check.offset - int(challenge.code)) > SLIDER_TOLERANCE:
        return MockAnswer({"passed": False, "reason": "off_target"})
    return MockAnswer({"passed": True, "reason": "ok"})


def sms_codes(
    session: Session, sandbox_id: str, now: datetime, *, mobile: str | None = None
) -> list[dict[str, Any]]:
    """The codes "sent" in a sandbox, newest first — a sandbox has no phone to read them on."""
    query = select(VerificationCode).where(
        VerificationCode.sandbox_id == sandbox_id, VerificationCode.mobile != SLIDER_CHANNEL
    )
    if mobile:
        query = query.where(VerificationCode.mobile == mobile)
    rows = session.scalars(query.order_by(VerificationCode.id.desc())).all()
    return [
        {
            "request_id": row.request_id,
            "mobile": row.mobile,
            "code": row.code,
            "sent_at": _at(row.sent_at),
            "expires_at": _at(row.expires_at),
            "attempts": row.attempts,
            "used": row.used,
            "state": (
                "used"
                if row.used
                else "locked"
                if row.attempts >= SMS_MAX_ATTEMPTS
                else "expired"
                if now > row.expires_at
                else "pending"
            ),
        }
        for row in rows
    ]


# --- the endpoints ------------------------------------------------------------------------


@api.post("/face", summary="人脸识别: is this person the holder?", responses={200: FaceAnswer})
def face(header: SandboxHeader, body: FaceQuery):  # type: ignore[no-untyped-def]
    return serve_call(
        SERVICE, header.sandbox_id, body.model_dump(mode="json"), lambda _call: face_answer(body)
    )


@api.post("/sms", summary="Send an SMS code to a mobile number", responses={200: SmsSent})
def send_sms(header: SandboxHeader, body: SmsSend):  # type: ignore[no-untyped-def]
    return serve_call(
        SERVICE,
        header.sandbox_id,
        body.model_dump(mode="json"),
        lambda call: send_sms_answer(call, body.mobile),
    )


@api.post("/sms/check", summary="Check an SMS code", responses={200: SmsChecked})
def check_sms(header: SandboxHeader, body: SmsCheck):  # type: ignore[no-untyped-def]
    return serve_call(
        SERVICE,
        header.sandbox_id,
        body.model_dump(mode="json"),
        lambda call: check_sms_answer(call, body),
    )


@api.post("/slider", summary="A new slider challenge", responses={200: SliderChallenge})
def slider(header: SandboxHeader):  # type: ignore[no-untyped-def]
    return serve_call(SERVICE, header.sandbox_id, {}, slider_challenge_answer)


@api.post(
    "/slider/check",
    summary="Check where the slider piece was dropped",
    responses={200: SliderChecked},
)
def slider_check(header: SandboxHeader, body: SliderCheck):  # type: ignore[no-untyped-def]
    return serve_call(
        SERVICE,
        header.sandbox_id,
        body.model_dump(mode="json"),
        lambda call: slider_check_answer(call, body),
    )
