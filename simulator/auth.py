"""Unit accounts and who may do what (PREP-1, A-1, A-2).

A business is always done by an actor: an account of a unit, logged in with
its 证件号码 and password (guide §五 问题一).  The API authenticates an actor by
a bearer token (expiring on the sandbox clock, revocable).  法定代表人 and
单位管理员 hold every item; a 单位经办人 only the items granted to them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from simulator.clock import wall_clock_now
from simulator.context import Actor
from simulator.db.models import Account, ApiToken, Unit
from simulator.errors import ErrorSpec

ROLE_LEGAL_REP = "legal_rep"
ROLE_ADMIN = "admin"
ROLE_AGENT = "agent"
ROLE_LABELS = {ROLE_LEGAL_REP: "法定代表人", ROLE_ADMIN: "单位管理员", ROLE_AGENT: "单位经办人"}

#: Tokens expire on the wall clock, not the sandbox clock: a trainer can move a sandbox's
#: clock by months without logging everyone out (docs/decisions.md).
TOKEN_LIFETIME = timedelta(hours=8)

NOT_LOGGED_IN = ErrorSpec(
    code="E_NOT_LOGGED_IN",
    message="请先登录单位账号",
    remedy="用人单位须完成网上服务大厅实名注册，并以法定代表人、管理员或经办人身份登录后办理。",
    behaviour_id="PREP-1",
    http_status=401,
)
LOGIN_FAILED = ErrorSpec(
    code="E_LOGIN_FAILED",
    message="统一社会信用代码、证件号码或密码错误",
    remedy="请核对后重新输入；忘记密码可点击“忘记密码？”重置。",
    behaviour_id="PREP-1",
    http_status=401,
)
NOT_GRANTED = ErrorSpec(
    code="E_NOT_GRANTED",
    message="您没有办理“{item}”的权限",
    remedy="请联系单位法定代表人或管理员在“单位中心—经办人管理”中为您授权该事项。",
    behaviour_id="A-2",
    http_status=403,
)

# Argon2id with the library's defaults for real passwords.
_hasher = PasswordHasher()


def configure_hashing(
    *, time_cost: int | None = None, memory_cost: int | None = None, parallelism: int | None = None
) -> None:
    """Change the cost of new password hashes; ``None`` keeps the library's default.

    Production keeps argon2id's defaults (~0.17 s a hash).  The test suite lowers the
    cost once (``tests/conftest.py``): a hash records its own parameters, so hashes
    made at either cost verify alike.
    """
    global _hasher
    defaults = PasswordHasher()
    _hasher = PasswordHasher(
        time_cost=time_cost if time_cost is not None else defaults.time_cost,
        memory_cost=memory_cost if memory_cost is not None else defaults.memory_cost,
        parallelism=parallelism if parallelism is not None else defaults.parallelism,
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(account: Account) -> Actor:
    return Actor(
        unit_id=account.unit_id,
        name=account.name,
        role=account.role,
        account_id=account.id,
        scopes=frozenset(account.scopes or ()),
    )


def may_do(actor: Actor, item_code: str) -> bool:
    """A-2: legal representatives and administrators hold every item; agents what was granted."""
    if actor.role in (ROLE_LEGAL_REP, ROLE_ADMIN, "system", "counter"):
        return True
    return item_code in actor.scopes


def login(
    session: Session, sandbox_id: str, *, uscc: str, id_number: str, password: str, now: datetime
) -> tuple[str, Account, datetime]:
    """Check a unit login; returns a new token, the account and the token's expiry."""
    account = session.scalars(
        select(Account)
        .join(Unit, Unit.id == Account.unit_id)
        .where(
            Account.sandbox_id == sandbox_id,
            Unit.uscc == uscc.strip().upper(),
            Account.id_number == id_number.strip().upper(),
            Account.status == "active",
        )
    ).first()
    if account is None or not verify_password(account.password_hash, password):
        raise LOGIN_FAILED.refuse()
    token = secrets.token_urlsafe(32)
    issued_at = wall_clock_now()
    expires_at = issued_at + TOKEN_LIFETIME
    session.add(
        ApiToken(
            sandbox_id=sandbox_id,
            account_id=account.id,
            token_hash=_digest(token),
            issued_at=issued_at,
            expires_at=expires_at,
        )
    )
    return token, account, expires_at


def actor_for_token(session: Session, sandbox_id: str, token: str | None, now: datetime) -> Actor:
    """The actor behind a bearer token of this sandbox; refuses missing, expired or revoked ones."""
    if not token:
        raise NOT_LOGGED_IN.refuse()
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is None or row.revoked or row.sandbox_id != sandbox_id:
        raise NOT_LOGGED_IN.refuse()
    if row.expires_at <= wall_clock_now():
        raise NOT_LOGGED_IN.refuse()
    account = session.get(Account, row.account_id)
    if account is None or account.status != "active":
        raise NOT_LOGGED_IN.refuse()
    return actor_of(account)


def revoke(session: Session, token: str) -> None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is not None:
        row.revoked = True
