"""One driver interface, two implementations: the platform in-process, or the JSON API of
a running simulator (``--sim-url``).  Both answer with the API's own JSON bodies, so a
step cannot tell them apart."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from flask import Flask
from pydantic import ValidationError

from simulator.auth import actor_for_token
from simulator.batch import submit_batch
from simulator.errors import INVALID_INPUT, Refused, problem_body
from simulator.platform import Platform


@dataclass
class Reply:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Driver(Protocol):
    def create_sandbox(self, clock: str | None = None) -> str: ...
    def delete_sandbox(self, sandbox_id: str) -> None: ...
    def load_world(self, sandbox_id: str, name: str) -> Reply: ...
    def set_clock(self, sandbox_id: str, at: str) -> Reply: ...
    def advance_clock(self, sandbox_id: str, days: int) -> Reply: ...
    def period(self, sandbox_id: str, day: str | None = None) -> Reply: ...
    def trial(self, sandbox_id: str, body: dict[str, Any]) -> Reply: ...
    def login(self, sandbox_id: str, uscc: str, id_number: str, password: str) -> Reply: ...
    def submit(self, sandbox_id: str, item: str, payload: dict[str, Any]) -> Reply: ...
    def upload(self, sandbox_id: str, item: str, filename: str, content: bytes) -> Reply: ...
    # 单位实名注册 (PREP-1) and the personal side (P-1, P-2)
    def signup(
        self,
        sandbox_id: str,
        uscc: str,
        legal_rep_name: str,
        legal_rep_id_number: str,
        mobile: str,
        password: str,
    ) -> Reply: ...
    def personal_flexible_stop(self, sandbox_id: str, id_number: str, name: str) -> Reply: ...
    def set_location(self, sandbox_id: str, city: str | None) -> Reply: ...
    def rollback_candidates(self, sandbox_id: str, id_number: str) -> Reply: ...
    def contribution_details(self, sandbox_id: str, id_number: str, fee_month: str) -> Reply: ...
    def insured_relations(self, sandbox_id: str, id_number: str) -> Reply: ...
    def market_records(self, sandbox_id: str) -> Reply: ...
    def personal_hukou_nature(
        self, sandbox_id: str, id_number: str, name: str, hukou_nature: str
    ) -> Reply: ...
    # the mocked agencies (docs/mocks.md)
    def set_fault(
        self, sandbox_id: str, service: str, mode: str, until: str | None = None
    ) -> Reply: ...
    def add_identity_record(self, sandbox_id: str, record: dict[str, Any]) -> Reply: ...
    def add_market_record(self, sandbox_id: str, record: dict[str, Any]) -> Reply: ...
    def forget_market_record(self, sandbox_id: str, uscc: str) -> Reply: ...
    def journal(self, sandbox_id: str, service: str | None = None) -> Reply: ...
    # issue 6: base-adjustment files (I7), projects (I9), the counter (P-3, F-5)
    def download_template(self, item: str) -> Reply: ...
    def upload_base_adjustments(self, sandbox_id: str, filename: str, content: bytes) -> Reply: ...
    def base_adjustment_jobs(self, sandbox_id: str) -> Reply: ...
    def base_adjustment_job(self, sandbox_id: str, job_id: int) -> Reply: ...
    def project(self, sandbox_id: str, code: str) -> Reply: ...
    def counter(self, sandbox_id: str, route: str, body: dict[str, Any]) -> Reply: ...
    def counter_records(self, sandbox_id: str, uscc: str | None = None) -> Reply: ...
    # issue 8: accounts and authority (A-1 … A-4, PREP-1; simulator.accounts)
    def logout(self, sandbox_id: str) -> Reply: ...
    def grant_notice(self, sandbox_id: str) -> Reply: ...
    def agree_grant_notice(self, sandbox_id: str) -> Reply: ...
    def accounts(self, sandbox_id: str) -> Reply: ...
    def grant_account(self, sandbox_id: str, body: dict[str, Any]) -> Reply: ...
    def change_scopes(self, sandbox_id: str, account_id: int, scopes: list[str]) -> Reply: ...
    def remove_account(self, sandbox_id: str, account_id: int) -> Reply: ...
    def activate_account(self, sandbox_id: str, body: dict[str, Any]) -> Reply: ...
    def account_audit(self, sandbox_id: str) -> Reply: ...
    def password_reset(self, sandbox_id: str, step: str, body: dict[str, Any]) -> Reply: ...
    def sms_codes(self, sandbox_id: str, mobile: str | None = None) -> Reply: ...

    # issue 9: unit centre queries (Q-1, Q-6 … Q-9), 权益记录单 (Q-3 … Q-5), exports
    def unit_centre(self, sandbox_id: str, view: str, **filters: Any) -> Reply: ...
    def print_record(self, sandbox_id: str, start_month: str, end_month: str) -> Reply: ...
    def record_pdf(self, sandbox_id: str, record_no: str) -> Reply: ...
    def verify_record(self, token: str, document: bytes | None = None) -> Reply: ...
    def export_list(self, sandbox_id: str, kind: str, filters: dict[str, Any]) -> Reply: ...
    def export_log(self, sandbox_id: str) -> Reply: ...


def _refusal(refused: Refused) -> Reply:
    return Reply(refused.http_status, problem_body(*refused.problems))


@dataclass
class InProcessDriver:
    """Calls the platform directly (the default).

    Calls that reach another agency (sign-up, businesses, uploads) run inside
    ``in_process_mocks``: the platform's gateways are answered by the mocks mounted
    in an application built once on the same platform.  The mocks' admin calls
    (faults, records, journal) use the admin API's own functions in that app.
    """

    platform: Platform
    tokens: dict[str, str] = field(default_factory=dict)
    _app: Flask | None = field(default=None, repr=False)

    @property
    def app(self) -> Flask:
        if self._app is None:
            from simulator.app import TestConfig, create_app

            self._app = create_app(TestConfig, platform=self.platform)
        return self._app

    @contextmanager
    def _mocks(self) -> Iterator[None]:
        from mocks.transport import in_process_mocks

        with in_process_mocks(self.app):
            yield

    def _admin(self, view: Callable[..., Any], *models: Any) -> Reply:
        """Call an admin API function in the app; its pydantic models checked as over HTTP."""
        try:
            with self.app.app_context():
                answer = view(*[model() for model in models])
        except Refused as refused:
            return _refusal(refused)
        except ValidationError as error:
            problems = [INVALID_INPUT.error(message=str(e.get("msg", ""))) for e in error.errors()]
            return Reply(400, problem_body(*problems))
        if isinstance(answer, tuple):
            return Reply(answer[1], answer[0])
        return Reply(200, answer)

    def _call(self, function, *args, **kwargs) -> Reply:  # type: ignore[no-untyped-def]
        try:
            return Reply(200, function(*args, **kwargs))
        except Refused as refused:
            return _refusal(refused)

    def create_sandbox(self, clock: str | None = None) -> str:
        sandbox_id = f"bdd-{uuid.uuid4().hex[:10]}"
        self.platform.create_sandbox(sandbox_id, clock=clock)
        return sandbox_id

    def delete_sandbox(self, sandbox_id: str) -> None:
        self.platform.delete_sandbox(sandbox_id)

    def load_world(self, sandbox_id: str, name: str) -> Reply:
        from simulator.worlds import load_world

        return self._call(lambda: load_world(self.platform, sandbox_id, name).as_dict())

    def set_clock(self, sandbox_id: str, at: str) -> Reply:
        return self._call(self.platform.set_clock, sandbox_id, at)

    def advance_clock(self, sandbox_id: str, days: int) -> Reply:
        return self._call(self.platform.advance_clock, sandbox_id, days=days)

    def period(self, sandbox_id: str, day: str | None = None) -> Reply:
        from datetime import date

        def answer() -> dict[str, Any]:
            with self.platform.sandbox_session(sandbox_id) as ctx:
                info = self.platform.period_on(date.fromisoformat(day) if day else ctx.today)
            return {**info.as_dict(), "variant": info.variant}

        return self._call(answer)

    def trial(self, sandbox_id: str, body: dict[str, Any]) -> Reply:
        from simulator.api.contributions import TrialRequest, trial_calculation

        return self._call(trial_calculation, self.platform, sandbox_id, TrialRequest(**body))

    def login(self, sandbox_id: str, uscc: str, id_number: str, password: str) -> Reply:
        from simulator.accounts import log_in

        reply = self._call(
            log_in, self.platform, sandbox_id, uscc=uscc, id_number=id_number, password=password
        )
        if reply.ok:
            self.tokens[sandbox_id] = reply.body["token"]
        return reply

    def _actor(self, sandbox_id: str):  # type: ignore[no-untyped-def]
        with self.platform.sandbox_session(sandbox_id) as ctx:
            return actor_for_token(ctx.session, sandbox_id, self.tokens.get(sandbox_id), ctx.now)

    def submit(self, sandbox_id: str, item: str, payload: dict[str, Any]) -> Reply:
        try:
            actor = self._actor(sandbox_id)
            with self._mocks():
                outcome = self.platform.submit(sandbox_id, item, payload, actor=actor)
        except Refused as refused:
            return _refusal(refused)
        return Reply(201, outcome.as_dict())

    def upload(self, sandbox_id: str, item: str, filename: str, content: bytes) -> Reply:
        try:
            actor = self._actor(sandbox_id)
            with self._mocks():
                job = submit_batch(self.platform, sandbox_id, item, filename, content, actor=actor)
        except Refused as refused:
            return _refusal(refused)
        return Reply(201, job)

    # -- 单位实名注册 and the personal side ---------------------------------------------------
    def signup(
        self,
        sandbox_id: str,
        uscc: str,
        legal_rep_name: str,
        legal_rep_id_number: str,
        mobile: str,
        password: str,
    ) -> Reply:
        from simulator.hall import sign_up_unit

        try:
            with self._mocks():
                answer = sign_up_unit(
                    self.platform,
                    sandbox_id,
                    uscc=uscc,
                    legal_rep_name=legal_rep_name,
                    legal_rep_id_number=legal_rep_id_number,
                    mobile=mobile,
                    password=password,
                )
        except Refused as refused:
            return _refusal(refused)
        return Reply(201, answer)

    def _unit_query(self, sandbox_id: str, query, **filters: Any) -> Reply:  # type: ignore[no-untyped-def]
        from simulator.queries import Page

        try:
            actor = self._actor(sandbox_id)
        except Refused as refused:
            return _refusal(refused)
        with self.platform.sandbox_session(sandbox_id) as ctx:
            return Reply(
                200, query(ctx.session, sandbox_id, actor.unit_id, page=Page(1, 500), **filters)
            )

    def contribution_details(self, sandbox_id: str, id_number: str, fee_month: str) -> Reply:
        from simulator.queries import monthly_details

        return self._unit_query(
            sandbox_id, monthly_details, id_number=id_number, fee_month=fee_month
        )

    def insured_relations(self, sandbox_id: str, id_number: str) -> Reply:
        from simulator.queries import insured_people

        return self._unit_query(sandbox_id, insured_people, id_number=id_number)

    def rollback_candidates(self, sandbox_id: str, id_number: str) -> Reply:
        from plugins.items.rollback import candidates

        try:
            actor = self._actor(sandbox_id)
        except Refused as refused:
            return _refusal(refused)
        return Reply(200, {"业务编号列表": candidates(self.platform, sandbox_id, actor, id_number)})

    def set_location(self, sandbox_id: str, city: str | None) -> Reply:
        return self._call(self.platform.set_location, sandbox_id, city)

    def market_records(self, sandbox_id: str) -> Reply:
        from mocks import store

        with self.platform.db.transaction() as session:
            rows = store.market_records(session, sandbox_id)
            return Reply(200, {"records": [store.market_unit_dict(row) for row in rows]})

    def personal_flexible_stop(self, sandbox_id: str, id_number: str, name: str) -> Reply:
        from simulator.hall import stop_flexible_employment

        return self._call(
            stop_flexible_employment, self.platform, sandbox_id, id_number=id_number, name=name
        )

    def personal_hukou_nature(
        self, sandbox_id: str, id_number: str, name: str, hukou_nature: str
    ) -> Reply:
        from simulator.hall import maintain_hukou_nature

        return self._call(
            maintain_hukou_nature,
            self.platform,
            sandbox_id,
            id_number=id_number,
            name=name,
            hukou_nature=hukou_nature,
        )

    # -- the mocked agencies ----------------------------------------------------------------
    def set_fault(
        self, sandbox_id: str, service: str, mode: str, until: str | None = None
    ) -> Reply:
        from simulator.api import mocks_admin as admin

        return self._admin(
            admin.set_fault,
            lambda: admin.ServicePath(sandbox_id=sandbox_id, service=service),
            lambda: admin.FaultSettingBody(mode=mode, until=until),
        )

    def add_identity_record(self, sandbox_id: str, record: dict[str, Any]) -> Reply:
        from simulator.api import mocks_admin as admin

        return self._admin(
            admin.add_identity_record,
            lambda: admin.SandboxPath(sandbox_id=sandbox_id),
            lambda: admin.IdentityRecordBody(**record),
        )

    def add_market_record(self, sandbox_id: str, record: dict[str, Any]) -> Reply:
        from simulator.api import mocks_admin as admin

        return self._admin(
            admin.add_market_record,
            lambda: admin.SandboxPath(sandbox_id=sandbox_id),
            lambda: admin.MarketRecordBody(**record),
        )

    def forget_market_record(self, sandbox_id: str, uscc: str) -> Reply:
        """Market regulation no longer knows the code (for I1-4's "not found")."""
        from mocks import store

        with self.platform.db.transaction() as session:
            record = store.market_record(session, sandbox_id, uscc.upper())
            if record is not None:
                session.delete(record)
        return Reply(200, {"deleted": int(record is not None)})

    def journal(self, sandbox_id: str, service: str | None = None) -> Reply:
        from simulator.api import mocks_admin as admin

        if service is None:
            return self._admin(
                admin.list_journal,
                lambda: admin.SandboxPath(sandbox_id=sandbox_id),
                lambda: admin.JournalQuery(),
            )
        return self._admin(
            admin.list_service_journal,
            lambda: admin.ServicePath(sandbox_id=sandbox_id, service=service),
            lambda: admin.JournalQuery(),
        )

    # -- issue 6: base-adjustment files, projects, the counter (bdd.steps_changes) --------------
    def download_template(self, item: str) -> Reply:
        from simulator.workbooks import template

        try:
            found = self.platform.item(item)
        except Refused as refused:
            return _refusal(refused)
        notes = getattr(found, "batch_notes", ())
        return Reply(200, template(found.batch_columns, sheet_title=found.name, notes=notes))

    def upload_base_adjustments(self, sandbox_id: str, filename: str, content: bytes) -> Reply:
        from simulator.jobs import submit_async

        try:
            actor = self._actor(sandbox_id)
            job = submit_async(
                self.platform, sandbox_id, "base_adjustment", filename, content, actor=actor
            )
        except Refused as refused:
            return _refusal(refused)
        return Reply(202, job)

    def base_adjustment_jobs(self, sandbox_id: str) -> Reply:
        from simulator.jobs import list_jobs

        def answer() -> dict[str, Any]:
            actor = self._actor(sandbox_id)
            jobs = list_jobs(
                self.platform, sandbox_id, unit_id=actor.unit_id, item_code="base_adjustment"
            )
            return {"处理详情": jobs}

        return self._call(answer)

    def base_adjustment_job(self, sandbox_id: str, job_id: int) -> Reply:
        from simulator.errors import NOT_FOUND
        from simulator.jobs import job_details

        def answer() -> dict[str, Any]:
            actor = self._actor(sandbox_id)
            job = job_details(self.platform, sandbox_id, job_id, unit_id=actor.unit_id)
            if job is None:
                raise NOT_FOUND.refuse(what="处理记录")
            return job

        return self._call(answer)

    def project(self, sandbox_id: str, code: str) -> Reply:
        from plugins.items.project_workers import project_facts

        def answer() -> dict[str, Any]:
            actor = self._actor(sandbox_id)
            return project_facts(self.platform, sandbox_id, actor.unit_id, code)

        return self._call(answer)

    def counter(self, sandbox_id: str, route: str, body: dict[str, Any]) -> Reply:
        from plugins import counter

        body = dict(body)
        try:
            if route == "refunds":
                answer = counter.record_refund(self.platform, sandbox_id, **body)
            elif route == "benefit-payments":
                answer = counter.record_benefit_payment(self.platform, sandbox_id, **body)
            else:
                uscc = None if route == "unit-registrations" else body.pop("uscc", None)
                item = counter.COUNTER_ROUTE_ITEMS[route]
                answer = counter.counter_submit(self.platform, sandbox_id, item, body, uscc=uscc)
        except Refused as refused:
            return _refusal(refused)
        return Reply(201, answer)

    def counter_records(self, sandbox_id: str, uscc: str | None = None) -> Reply:
        from plugins import counter

        return self._call(
            lambda: {"records": counter.counter_records(self.platform, sandbox_id, uscc=uscc)}
        )

    # -- issue 8: accounts and authority (bdd.steps_accounts) ----------------------------------
    def _as_actor(self, sandbox_id: str, function, *args, status: int = 200, **kwargs) -> Reply:  # type: ignore[no-untyped-def]
        """Call ``function(platform, sandbox_id, actor, …)`` as the logged-in actor."""
        try:
            actor = self._actor(sandbox_id)
            with self._mocks():
                answer = function(self.platform, sandbox_id, actor, *args, **kwargs)
        except Refused as refused:
            return _refusal(refused)
        return Reply(status, answer)

    def _without_login(self, function, *args, status: int = 200, **kwargs) -> Reply:  # type: ignore[no-untyped-def]
        try:
            with self._mocks():
                answer = function(self.platform, *args, **kwargs)
        except Refused as refused:
            return _refusal(refused)
        return Reply(status, answer)

    def logout(self, sandbox_id: str) -> Reply:
        from simulator.accounts import log_out

        return self._as_actor(sandbox_id, log_out, self.tokens.get(sandbox_id, ""))

    def grant_notice(self, sandbox_id: str) -> Reply:
        from simulator.accounts import grant_notice

        return self._as_actor(sandbox_id, grant_notice)

    def agree_grant_notice(self, sandbox_id: str) -> Reply:
        from simulator.accounts import agree_to_grant_notice

        return self._as_actor(sandbox_id, agree_to_grant_notice)

    def accounts(self, sandbox_id: str) -> Reply:
        from simulator.accounts import list_accounts

        return self._as_actor(sandbox_id, list_accounts)

    def grant_account(self, sandbox_id: str, body: dict[str, Any]) -> Reply:
        from simulator.accounts import GrantRequest, grant_account

        fields = {**body, "scopes": tuple(body.get("scopes", ()))}
        return self._as_actor(sandbox_id, grant_account, GrantRequest(**fields), status=201)

    def change_scopes(self, sandbox_id: str, account_id: int, scopes: list[str]) -> Reply:
        from simulator.accounts import change_scopes

        return self._as_actor(sandbox_id, change_scopes, account_id, scopes)

    def remove_account(self, sandbox_id: str, account_id: int) -> Reply:
        from simulator.accounts import remove_account

        return self._as_actor(sandbox_id, remove_account, account_id)

    def activate_account(self, sandbox_id: str, body: dict[str, Any]) -> Reply:
        from simulator.accounts import activate_account

        return self._without_login(activate_account, sandbox_id, **body)

    def account_audit(self, sandbox_id: str) -> Reply:
        from simulator.accounts import audit_log

        return self._as_actor(sandbox_id, audit_log, per_page=500)

    def password_reset(self, sandbox_id: str, step: str, body: dict[str, Any]) -> Reply:
        from simulator import accounts

        steps = {
            "start": (accounts.start_password_reset, 201),
            "slider": (accounts.check_reset_slider, 200),
            "face": (accounts.verify_reset_by_face, 200),
            "sms": (accounts.send_reset_sms, 200),
            "sms_check": (accounts.check_reset_sms, 200),
            "password": (accounts.finish_password_reset, 200),
        }
        function, status = steps[step]
        return self._without_login(function, sandbox_id, status=status, **body)

    def sms_codes(self, sandbox_id: str, mobile: str | None = None) -> Reply:
        from simulator.api import mocks_admin as admin

        return self._admin(
            admin.list_sms_codes,
            lambda: admin.SandboxPath(sandbox_id=sandbox_id),
            lambda: admin.SmsQuery(mobile=mobile),
        )

    # -- issue 9: unit centre (Q-1, Q-6 … Q-9), 权益记录单 (Q-3 … Q-5), exports (Q-2, Q-7) ------
    def unit_centre(self, sandbox_id: str, view: str, **filters: Any) -> Reply:
        from simulator import queries

        if view == "unit":
            try:
                actor = self._actor(sandbox_id)
                with self.platform.sandbox_session(sandbox_id) as ctx:
                    info = queries.unit_information(self.platform, ctx.session, actor.unit_id)
            except Refused as refused:
                return _refusal(refused)
            return Reply(200, info)
        function = {
            "insured": queries.insured_people,
            "collection-notices": queries.collection_notices,
            "monthly-details": queries.monthly_details,
            "businesses": queries.unit_businesses,
        }[view]
        try:
            return self._unit_query(sandbox_id, function, **filters)
        except Refused as refused:
            return _refusal(refused)

    def print_record(self, sandbox_id: str, start_month: str, end_month: str) -> Reply:
        from simulator.certificate import issue_record
        from simulator.months import Month

        try:
            actor = self._actor(sandbox_id)
            issued = issue_record(
                self.platform,
                sandbox_id,
                actor,
                start=Month.parse(start_month),
                end=Month.parse(end_month),
                secret_key=self.app.config["SECRET_KEY"],
                base_url="http://localhost",
            )
        except Refused as refused:
            return _refusal(refused)
        return Reply(201, {**issued.summary(), "record_no": issued.record_no})

    def record_pdf(self, sandbox_id: str, record_no: str) -> Reply:
        from sqlalchemy import select

        from simulator.db.records import IssuedRecord

        try:
            actor = self._actor(sandbox_id)
        except Refused as refused:
            return _refusal(refused)
        with self.platform.db.transaction() as session:
            pdf = session.scalars(
                select(IssuedRecord.pdf).where(
                    IssuedRecord.sandbox_id == sandbox_id,
                    IssuedRecord.record_no == record_no,
                    IssuedRecord.unit_id == actor.unit_id,
                )
            ).first()
        return Reply(200, pdf) if pdf is not None else Reply(404, {"code": "E_NOT_FOUND"})

    def verify_record(self, token: str, document: bytes | None = None) -> Reply:
        from simulator.certificate import verify_record

        secret_key = self.app.config["SECRET_KEY"]
        return self._call(
            lambda: verify_record(
                self.platform, token, secret_key=secret_key, document=document
            ).as_dict()
        )

    def export_list(self, sandbox_id: str, kind: str, filters: dict[str, Any]) -> Reply:
        from simulator.exports import export_personal_data

        try:
            actor = self._actor(sandbox_id)
            with self._mocks():
                exported = export_personal_data(self.platform, sandbox_id, actor, kind, filters)
        except Refused as refused:
            return _refusal(refused)
        return Reply(200, exported.content)

    def export_log(self, sandbox_id: str) -> Reply:
        from simulator.exports import export_history

        try:
            actor = self._actor(sandbox_id)
        except Refused as refused:
            return _refusal(refused)
        return Reply(200, {"rows": export_history(self.platform, sandbox_id, actor.unit_id)})


#: the 忘记密码 steps (A-4) and their paths under /sandboxes/{id}/password-reset
RESET_PATHS = {"start": "", "slider": "/slider", "face": "/face", "sms": "/sms",
               "sms_check": "/sms/check", "password": "/password"}  # fmt: skip


@dataclass
class HttpDriver:
    """Talks to a running simulator's JSON API."""

    base_url: str
    session: requests.Session = field(default_factory=requests.Session)
    tokens: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0

    def _url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/api/v1" + path

    def _send(self, method: str, path: str, sandbox_id: str | None = None, **kwargs) -> Reply:  # type: ignore[no-untyped-def]
        headers = kwargs.pop("headers", {})
        if sandbox_id and sandbox_id in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[sandbox_id]}"
        response = self.session.request(
            method, self._url(path), headers=headers, timeout=self.timeout, **kwargs
        )
        body: Any = response.json() if response.content else None
        return Reply(response.status_code, body)

    def create_sandbox(self, clock: str | None = None) -> str:
        sandbox_id = f"bdd-{uuid.uuid4().hex[:10]}"
        reply = self._send("POST", "/sandboxes", json={"id": sandbox_id, "clock": clock})
        assert reply.status == 201, reply.body
        return sandbox_id

    def delete_sandbox(self, sandbox_id: str) -> None:
        self._send("DELETE", f"/sandboxes/{sandbox_id}")

    def load_world(self, sandbox_id: str, name: str) -> Reply:
        return self._send("POST", f"/sandboxes/{sandbox_id}/world", json={"name": name})

    def set_clock(self, sandbox_id: str, at: str) -> Reply:
        return self._send("PUT", f"/sandboxes/{sandbox_id}/clock", json={"at": at})

    def advance_clock(self, sandbox_id: str, days: int) -> Reply:
        return self._send("POST", f"/sandboxes/{sandbox_id}/clock/advance", json={"days": days})

    def period(self, sandbox_id: str, day: str | None = None) -> Reply:
        params = {"date": day} if day else {}
        return self._send("GET", f"/sandboxes/{sandbox_id}/period", params=params)

    def trial(self, sandbox_id: str, body: dict[str, Any]) -> Reply:
        return self._send("POST", f"/sandboxes/{sandbox_id}/contributions/trial", json=body)

    def login(self, sandbox_id: str, uscc: str, id_number: str, password: str) -> Reply:
        reply = self._send(
            "POST",
            f"/sandboxes/{sandbox_id}/login",
            json={"uscc": uscc, "id_number": id_number, "password": password},
        )
        if reply.ok:
            self.tokens[sandbox_id] = reply.body["token"]
        return reply

    def submit(self, sandbox_id: str, item: str, payload: dict[str, Any]) -> Reply:
        return self._send(
            "POST", f"/sandboxes/{sandbox_id}/businesses/{item}", sandbox_id, json=payload
        )

    def upload(self, sandbox_id: str, item: str, filename: str, content: bytes) -> Reply:
        files = {"file": (filename, content, "application/octet-stream")}
        return self._send(
            "POST", f"/sandboxes/{sandbox_id}/batches/{item}", sandbox_id, files=files
        )

    # -- 单位实名注册 and the personal side ---------------------------------------------------
    def signup(
        self,
        sandbox_id: str,
        uscc: str,
        legal_rep_name: str,
        legal_rep_id_number: str,
        mobile: str,
        password: str,
    ) -> Reply:
        body = {
            "uscc": uscc,
            "legal_rep_name": legal_rep_name,
            "legal_rep_id_number": legal_rep_id_number,
            "mobile": mobile,
            "password": password,
        }
        return self._send("POST", f"/sandboxes/{sandbox_id}/units/signup", json=body)

    def contribution_details(self, sandbox_id: str, id_number: str, fee_month: str) -> Reply:
        params = {"id_number": id_number, "fee_month": fee_month, "per_page": 500}
        return self._send(
            "GET", f"/sandboxes/{sandbox_id}/unit/monthly-details", sandbox_id, params=params
        )

    def insured_relations(self, sandbox_id: str, id_number: str) -> Reply:
        params = {"id_number": id_number, "per_page": 500}
        return self._send("GET", f"/sandboxes/{sandbox_id}/unit/insured", sandbox_id, params=params)

    def rollback_candidates(self, sandbox_id: str, id_number: str) -> Reply:
        return self._send(
            "GET", f"/sandboxes/{sandbox_id}/rollback-candidates", sandbox_id,
            params={"id_number": id_number},
        )  # fmt: skip

    def set_location(self, sandbox_id: str, city: str | None) -> Reply:
        return self._send("PUT", f"/sandboxes/{sandbox_id}/location", json={"city": city})

    def market_records(self, sandbox_id: str) -> Reply:
        return self._send("GET", f"/sandboxes/{sandbox_id}/mocks/market/records")

    def personal_flexible_stop(self, sandbox_id: str, id_number: str, name: str) -> Reply:
        body = {"id_number": id_number, "name": name}
        return self._send("POST", f"/sandboxes/{sandbox_id}/personal/flexible-stop", json=body)

    def personal_hukou_nature(
        self, sandbox_id: str, id_number: str, name: str, hukou_nature: str
    ) -> Reply:
        body = {"id_number": id_number, "name": name, "hukou_nature": hukou_nature}
        return self._send("POST", f"/sandboxes/{sandbox_id}/personal/hukou-nature", json=body)

    # -- the mocked agencies ----------------------------------------------------------------
    def set_fault(
        self, sandbox_id: str, service: str, mode: str, until: str | None = None
    ) -> Reply:
        return self._send(
            "PUT",
            f"/sandboxes/{sandbox_id}/mocks/{service}/fault",
            json={"mode": mode, "until": until},
        )

    def add_identity_record(self, sandbox_id: str, record: dict[str, Any]) -> Reply:
        return self._send("POST", f"/sandboxes/{sandbox_id}/mocks/identity/records", json=record)

    def add_market_record(self, sandbox_id: str, record: dict[str, Any]) -> Reply:
        return self._send("POST", f"/sandboxes/{sandbox_id}/mocks/market/records", json=record)

    def forget_market_record(self, sandbox_id: str, uscc: str) -> Reply:
        return self._send("DELETE", f"/sandboxes/{sandbox_id}/mocks/market/records/{uscc}")

    def journal(self, sandbox_id: str, service: str | None = None) -> Reply:
        path = f"/sandboxes/{sandbox_id}/mocks/" + (f"{service}/journal" if service else "journal")
        return self._send("GET", path)

    # -- issue 6: base-adjustment files, projects, the counter (bdd.steps_changes) --------------
    def download_template(self, item: str) -> Reply:
        response = self.session.get(self._url(f"/items/{item}/template"), timeout=self.timeout)
        if response.status_code != 200:
            return Reply(response.status_code, response.json())
        return Reply(200, response.content)

    def upload_base_adjustments(self, sandbox_id: str, filename: str, content: bytes) -> Reply:
        files = {"file": (filename, content, "application/octet-stream")}
        return self._send(
            "POST", f"/sandboxes/{sandbox_id}/base-adjustments", sandbox_id, files=files
        )

    def base_adjustment_jobs(self, sandbox_id: str) -> Reply:
        return self._send("GET", f"/sandboxes/{sandbox_id}/base-adjustments", sandbox_id)

    def base_adjustment_job(self, sandbox_id: str, job_id: int) -> Reply:
        return self._send("GET", f"/sandboxes/{sandbox_id}/base-adjustments/{job_id}", sandbox_id)

    def project(self, sandbox_id: str, code: str) -> Reply:
        from urllib.parse import quote

        path = f"/sandboxes/{sandbox_id}/projects/{quote(code, safe='')}"
        return self._send("GET", path, sandbox_id)

    def counter(self, sandbox_id: str, route: str, body: dict[str, Any]) -> Reply:
        return self._send("POST", f"/sandboxes/{sandbox_id}/counter/{route}", json=body)

    def counter_records(self, sandbox_id: str, uscc: str | None = None) -> Reply:
        params = {"uscc": uscc} if uscc else {}
        return self._send("GET", f"/sandboxes/{sandbox_id}/counter/records", params=params)

    # -- issue 8: accounts and authority (bdd.steps_accounts) ----------------------------------
    def logout(self, sandbox_id: str) -> Reply:
        return self._send("POST", f"/sandboxes/{sandbox_id}/logout", sandbox_id)

    def grant_notice(self, sandbox_id: str) -> Reply:
        return self._send("GET", f"/sandboxes/{sandbox_id}/accounts/grant-notice", sandbox_id)

    def agree_grant_notice(self, sandbox_id: str) -> Reply:
        path = f"/sandboxes/{sandbox_id}/accounts/grant-notice/agree"
        return self._send("POST", path, sandbox_id)

    def accounts(self, sandbox_id: str) -> Reply:
        return self._send("GET", f"/sandboxes/{sandbox_id}/accounts", sandbox_id)

    def grant_account(self, sandbox_id: str, body: dict[str, Any]) -> Reply:
        return self._send("POST", f"/sandboxes/{sandbox_id}/accounts", sandbox_id, json=body)

    def change_scopes(self, sandbox_id: str, account_id: int, scopes: list[str]) -> Reply:
        path = f"/sandboxes/{sandbox_id}/accounts/{account_id}/scopes"
        return self._send("PUT", path, sandbox_id, json={"scopes": scopes})

    def remove_account(self, sandbox_id: str, account_id: int) -> Reply:
        return self._send("DELETE", f"/sandboxes/{sandbox_id}/accounts/{account_id}", sandbox_id)

    def activate_account(self, sandbox_id: str, body: dict[str, Any]) -> Reply:
        return self._send("POST", f"/sandboxes/{sandbox_id}/accounts/activate", json=body)

    def account_audit(self, sandbox_id: str) -> Reply:
        path = f"/sandboxes/{sandbox_id}/accounts/audit"
        return self._send("GET", path, sandbox_id, params={"per_page": 500})

    def password_reset(self, sandbox_id: str, step: str, body: dict[str, Any]) -> Reply:
        path = f"/sandboxes/{sandbox_id}/password-reset{RESET_PATHS[step]}"
        return self._send("POST", path, json=body)

    def sms_codes(self, sandbox_id: str, mobile: str | None = None) -> Reply:
        params = {"mobile": mobile} if mobile else {}
        return self._send("GET", f"/sandboxes/{sandbox_id}/mocks/verification/sms", params=params)

    # -- issue 9: unit centre (Q-1, Q-6 … Q-9), 权益记录单 (Q-3 … Q-5), exports (Q-2, Q-7) ------
    def _send_for_file(
        self, method: str, path: str, sandbox_id: str | None = None, **kwargs: Any
    ) -> Reply:
        """Like ``_send``, but a successful answer's body is the file's bytes."""
        headers = kwargs.pop("headers", {})
        if sandbox_id and sandbox_id in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[sandbox_id]}"
        response = self.session.request(
            method, self._url(path), headers=headers, timeout=self.timeout, **kwargs
        )
        if response.ok:
            return Reply(response.status_code, response.content)
        return Reply(response.status_code, response.json() if response.content else None)

    def unit_centre(self, sandbox_id: str, view: str, **filters: Any) -> Reply:
        path = f"/sandboxes/{sandbox_id}/unit" + ("" if view == "unit" else f"/{view}")
        params = {key: value for key, value in filters.items() if value is not None}
        if view != "unit":
            params.setdefault("per_page", 500)
        return self._send("GET", path, sandbox_id, params=params)

    def print_record(self, sandbox_id: str, start_month: str, end_month: str) -> Reply:
        reply = self._send(
            "POST",
            f"/sandboxes/{sandbox_id}/unit/rights-records",
            sandbox_id,
            json={"start_month": start_month, "end_month": end_month},
        )
        if reply.ok:
            reply.body["record_no"] = reply.body["权益单编号"]
        return reply

    def record_pdf(self, sandbox_id: str, record_no: str) -> Reply:
        path = f"/sandboxes/{sandbox_id}/unit/rights-records/{record_no}/pdf"
        return self._send_for_file("GET", path, sandbox_id)

    def verify_record(self, token: str, document: bytes | None = None) -> Reply:
        if document is None:
            return self._send("GET", "/records/verify", params={"token": token})
        files = {"document": ("权益单.pdf", document, "application/pdf")}
        return self._send("POST", "/records/verify", data={"token": token}, files=files)

    def export_list(self, sandbox_id: str, kind: str, filters: dict[str, Any]) -> Reply:
        path = f"/sandboxes/{sandbox_id}/unit/exports/{kind}"
        return self._send_for_file("POST", path, sandbox_id, json=filters)

    def export_log(self, sandbox_id: str) -> Reply:
        return self._send("GET", f"/sandboxes/{sandbox_id}/unit/exports", sandbox_id)
