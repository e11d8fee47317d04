"""Two transports to the same mocks: in-process (``responses``) and real HTTP.

The simulator's gateways (``simulator/gateways.py``) always speak HTTP through
``requests``.  In tests and in the embedded default, :func:`in_process_mocks`
installs a ``responses.RequestsMock`` whose callbacks hand every request for
the mocks' base URL to the mocks' Flask application (its test client), so the
one mock implementation answers either way.  Faults keep their meaning:

* ``refused`` raises ``requests.ConnectionError``;
* ``slow`` raises ``requests.ReadTimeout`` when the mock's declared latency
  exceeds the request's (read) timeout, and answers at once otherwise — the
  in-process transport never sleeps;
* ``outage`` and ``malformed`` are ordinary HTTP answers.

:func:`serving_mocks` runs a Flask application (usually
``mocks.app.create_mocks_app``) on a real socket in a background thread, for
the same tests over real HTTP.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import responses
from flask import Flask
from werkzeug.serving import make_server

from mocks.faults import IN_PROCESS_ENVIRON_KEY, LATENCY_HEADER
from simulator.gateways import DEFAULT_MOCKS_BASE_URL, FAULT_HEADER

#: The path under which the mocks' blueprints are mounted in every application.
MOCKS_MOUNT = "/mocks"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def read_timeout(timeout: Any) -> float | None:
    """The read part of a ``requests`` timeout (a number, ``(connect, read)`` or ``None``)."""
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else timeout[0]
    return None if timeout is None else float(timeout)


class InProcessTransport:
    """Routes ``requests`` calls under ``base_url`` into ``app``, without a socket."""

    def __init__(self, app: Flask, base_url: str = DEFAULT_MOCKS_BASE_URL) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")
        self._client = app.test_client()

    @property
    def url_pattern(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.base_url) + r"(/.*)?(\?.*)?$")

    def install(self, mock: responses.RequestsMock) -> responses.RequestsMock:
        """Register the routing callbacks on ``mock`` (every method, every path)."""
        for method in METHODS:
            mock.add_callback(method, self.url_pattern, callback=self.handle)
        return mock

    def handle(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        """The ``responses`` callback: the mock's answer, or the exception a fault stands for."""
        url = str(request.url)
        split = urlsplit(url)
        base_path = urlsplit(self.base_url).path.rstrip("/")
        path = MOCKS_MOUNT + split.path[len(base_path) :]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        answer = self._client.open(
            path,
            method=str(request.method),
            headers=headers,
            query_string=split.query,
            data=body,
            environ_overrides={IN_PROCESS_ENVIRON_KEY: True},
        )
        if answer.headers.get(FAULT_HEADER) == "refused":
            raise requests.ConnectionError(
                f"connection to {url} refused (mock fault)", request=request
            )
        latency = answer.headers.get(LATENCY_HEADER)
        timeout = read_timeout(getattr(request, "req_kwargs", {}).get("timeout"))
        if latency is not None and timeout is not None and float(latency) > timeout:
            raise requests.ReadTimeout(
                f"read timed out ({timeout:g} s) at {url}: mock latency {latency} s",
                request=request,
            )
        return answer.status_code, dict(answer.headers), answer.get_data()


@contextmanager
def in_process_mocks(
    app: Flask,
    base_url: str = DEFAULT_MOCKS_BASE_URL,
    *,
    mock: responses.RequestsMock | None = None,
) -> Iterator[responses.RequestsMock]:
    """Route requests for ``base_url`` into ``app``'s mocks while the block runs.

    ``app`` is the simulator's application (the mocks are mounted in it) or a
    standalone ``create_mocks_app(...)``.  Pass an active ``mock`` to add the
    routes to a ``responses`` mock the test already uses; otherwise a new one is
    started (other URLs are refused, as ``responses`` does) and stopped after.
    """
    transport = InProcessTransport(app, base_url)
    if mock is not None:
        transport.install(mock)
        yield mock
        return
    with responses.RequestsMock(assert_all_requests_are_fired=False) as new_mock:
        transport.install(new_mock)
        yield new_mock


@contextmanager
def serving_mocks(app: Flask, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` over real HTTP in a thread; yields the mocks' base URL.

    ``port=0`` takes a free port.  The server is shut down when the block ends.
    """
    server = make_server(host, port, app, threaded=True)
    # A short poll interval: shutting the server down waits for the next poll.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="mocks-server",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}{MOCKS_MOUNT}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
