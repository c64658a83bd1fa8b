"""HTTP to a registry for `berth push`: one keep-alive connection per thread, the token flow,
and failures turned into PushErrors with the right exit code.

Request bodies are bytes (manifests, one upload chunk) or a file object streamed by http.client
(a monolithic blob upload), so no layer is ever held whole.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import IO

from berth.client.credentials import Credentials
from berth.push.errors import ExitCode, PushError
from chalicelib.remote import token_flow as token

TIMEOUT_SECONDS = 120.0
SEND_BLOCK = 1024 * 1024
RETRIES = 3
# Test hook: fail as a broken connection would once this many body bytes have been sent.
FAIL_AFTER_ENV = "BERTH_PUSH_FAIL_AFTER_BYTES"

Body = bytes | memoryview | IO[bytes] | None


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def error_of(response: Response, what: str) -> PushError:
    """The PushError for a refused request (4 for 401/403, 3 for a digest mismatch, else 5)."""
    code, message = "", response.body[:300].decode(errors="replace").strip()
    try:
        errors = json.loads(response.body).get("errors") or []
        if errors:
            code, message = str(errors[0].get("code", "")), str(errors[0].get("message", ""))
    except (ValueError, AttributeError):
        pass
    text = f"{what}: {response.status} {code} {message}".rstrip()
    if response.status in (401, 403):
        return PushError(ExitCode.AUTH, text)
    if code == "DIGEST_INVALID":
        return PushError(ExitCode.SOURCE_INVALID, text + " (the source's content is corrupt)")
    return PushError(ExitCode.REFUSED, text)


class _Budget:
    """The failure-injection counter (FAIL_AFTER_ENV); unlimited when the variable is unset."""

    def __init__(self) -> None:
        value = os.environ.get(FAIL_AFTER_ENV)
        self.left = int(value) if value else None
        self.lock = threading.Lock()

    def spend(self, size: int) -> None:
        if self.left is None:
            return
        with self.lock:
            self.left -= size
            if self.left < 0:
                raise PushError(ExitCode.NETWORK, f"connection broken ({FAIL_AFTER_ENV})")


class Session:
    """Requests to one registry, safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        authorization: str | None = None,
        scope: str = "",
    ) -> None:
        """`authorization`: an `Authorization` header to send from the start (`berth proxy`
        passes on its client's token); a 401 still runs the token flow, for `scope` (set by
        `login` otherwise) with `credentials`."""
        self.base = base_url.rstrip("/")
        self.credentials = credentials
        self._local = threading.local()
        self._auth_lock = threading.Lock()
        self._authorization: str | None = authorization
        self._scope = scope
        self._budget = _Budget()
        # The `GET /v2/` answer's headers once logged in (extensions the registry advertises).
        self.base_headers: dict[str, str] = {}

    def use_authorization(self, value: str | None) -> None:
        """Send `value` as the Authorization from now on (`berth proxy`: its client's latest)."""
        with self._auth_lock:
            self._authorization = value

    def url(self, path_or_url: str) -> str:
        return urllib.parse.urljoin(self.base + "/", path_or_url)

    def login(self, scope: str) -> None:
        """Ask `/v2/` whether credentials are needed, and get a token for `scope` if so."""
        self._scope = scope
        response = self.request("GET", "/v2/")
        if response.status >= 400 and response.status not in (401, 404):
            raise error_of(response, f"GET {self.base}/v2/")
        self.base_headers = response.headers

    def request(
        self,
        method: str,
        target: str,
        *,
        body: Body = None,
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> Response:
        """One request (retried on a connection failure if its body can be sent again); the
        token flow on a 401 if the body can be sent again."""
        response = self._with_retries(method, target, body, headers, length)
        resendable = not hasattr(body, "read")
        if response.status == 401 and resendable and self._authenticate(response):
            response = self._with_retries(method, target, body, headers, length)
        return response

    def _with_retries(
        self,
        method: str,
        target: str,
        body: Body,
        headers: dict[str, str] | None,
        length: int | None,
        *,
        authorize: bool = True,
    ) -> Response:
        attempts = RETRIES if not hasattr(body, "read") else 1
        for attempt in range(attempts):
            try:
                return self._send(method, target, body, headers, length, authorize=authorize)
            except (OSError, http.client.HTTPException) as error:
                self._drop(target)
                if attempt + 1 == attempts:
                    where = self.url(target).split("?", 1)[0]
                    raise PushError(ExitCode.NETWORK, f"{method} {where}: {error}") from None
                time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def _send(
        self,
        method: str,
        target: str,
        body: Body,
        headers: dict[str, str] | None,
        length: int | None,
        *,
        authorize: bool = True,
    ) -> Response:
        """`authorize`: add the session's Authorization (never to a token request: the token
        it holds may be the expired one being replaced)."""
        url = urllib.parse.urlsplit(self.url(target))
        all_headers = dict(headers or {})
        if (
            authorize
            and self._authorization
            and url.netloc == urllib.parse.urlsplit(self.base).netloc
        ):
            all_headers["Authorization"] = self._authorization
        if isinstance(body, bytes):
            all_headers["Content-Length"] = str(len(body))
            self._budget.spend(len(body))
        elif body is not None:
            all_headers["Content-Length"] = str(length)
            self._budget.spend(length or 0)
        elif method in ("PUT", "POST", "PATCH"):
            all_headers["Content-Length"] = "0"
        connection = self._connection(url.scheme, url.netloc)
        path = url.path + (f"?{url.query}" if url.query else "")
        connection.request(method, path, body=body, headers=all_headers)
        reply = connection.getresponse()
        data = reply.read()
        if reply.will_close:
            self._drop(target)
        return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data)

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        pool: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "pool", {}
        )
        key = (scheme, netloc)
        if key not in pool:
            kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            pool[key] = kind(netloc, timeout=TIMEOUT_SECONDS, blocksize=SEND_BLOCK)
        return pool[key]

    def _drop(self, target: str) -> None:
        url = urllib.parse.urlsplit(self.url(target))
        pool = self._local.__dict__.get("pool", {})
        connection = pool.pop((url.scheme, url.netloc), None)
        if connection is not None:
            connection.close()

    def _authenticate(self, response: Response) -> bool:
        """Set the Authorization for later requests from a 401's challenge; False if none."""
        challenge = token.answerable(response.header("www-authenticate"), self.credentials)
        if challenge is None:
            return False
        with self._auth_lock:
            try:
                answer = token.authorization(
                    challenge, self.credentials, self._fetch_token, self._scope.split(" ")
                )
            except token.NoTokenError as error:
                raise PushError(ExitCode.AUTH, f"token request: {error}") from None
            if answer is None:
                return False
            self._authorization = answer
            return True

    def _fetch_token(self, url: str, headers: dict[str, str]) -> bytes:
        reply = self._with_retries("GET", url, None, headers, None, authorize=False)
        if reply.status >= 400:
            raise error_of(reply, "token request")
        return reply.body
