"""HTTP to a Berth registry's `_berth` extension API, for the `berth` admin commands.

Standard library only. The transport is a small protocol so tests can drive the in-process
app (chalice.test.Client) as well as a `berth serve` or a deployed registry over HTTP.

With credentials, a 401's challenge is answered as docker does: `Bearer` -> a token from the
challenge's realm (the registry's `/token`) for the challenge's scope, with the credentials
as Basic, then the request again with the token; `Basic` -> the credentials themselves.
Tokens are kept per scope for the life of the client."""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol
from urllib.parse import quote, urlencode, urlsplit

_PARAM = re.compile(r'(\w+)="([^"]*)"')

DEFAULT_REGISTRY = "http://127.0.0.1:5000"
TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class Transport(Protocol):
    def __call__(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> Reply: ...


class RegistryError(Exception):
    """A failure answered by the registry (with its OCI error code) or on the way to it."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        super().__init__(f"{code} ({status}): {message}")


def http_transport(base_url: str) -> Transport:
    base = base_url.rstrip("/")

    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return Reply(
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    response.read(),
                )
        except urllib.error.HTTPError as error:
            return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())
        except (urllib.error.URLError, OSError) as error:
            raise RegistryError(0, "UNREACHABLE", f"cannot reach {base}: {error}") from None

    return send


def registry_url(value: str | None) -> str:
    return value or os.environ.get("BERTH_REGISTRY") or DEFAULT_REGISTRY


def _challenge(value: str | None) -> tuple[str, dict[str, str]]:
    scheme, _, rest = (value or "").strip().partition(" ")
    return scheme.lower(), dict(_PARAM.findall(rest))


class RegistryClient:
    def __init__(
        self,
        transport: Transport,
        credentials: tuple[str, str] | None = None,
        *,
        over_http: bool = False,
    ) -> None:
        """`over_http`: the realm of a challenge is fetched over HTTP (else: its path through
        `transport`, for the in-process app of the tests)."""
        self._send = transport
        self._credentials = credentials
        self._over_http = over_http
        self._authorization: dict[str, str] = {}  # challenge scope -> Authorization

    @classmethod
    def for_url(cls, url: str, credentials: tuple[str, str] | None = None) -> RegistryClient:
        return cls(http_transport(url), credentials, over_http=True)

    def _basic(self) -> str:
        assert self._credentials is not None
        raw = "{}:{}".format(*self._credentials).encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _answer(self, challenge: str | None) -> str | None:
        """The Authorization that answers a 401's challenge, or None (no credentials, or
        nothing to answer with)."""
        if self._credentials is None:
            return None
        scheme, params = _challenge(challenge)
        if scheme == "basic":
            return self._basic()
        if scheme != "bearer" or "realm" not in params:
            return None
        query: dict[str, str] = {k: params[k] for k in ("service", "scope") if k in params}
        realm = urlsplit(params["realm"])
        path = realm.path + "?" + urlencode(query)
        send = self._send
        if self._over_http:
            send = http_transport(f"{realm.scheme}://{realm.netloc}")
        reply = send("GET", path, b"", {"Authorization": self._basic()})
        if reply.status != 200:
            _raise(reply, None)
        try:
            document = json.loads(reply.body)
            return "Bearer " + str(document.get("token") or document["access_token"])
        except (ValueError, KeyError, AttributeError):
            raise RegistryError(reply.status, "UNAUTHORIZED", "no token in the answer") from None

    def service(self) -> str | None:
        """The `service` the registry's challenge names (each deployed registry has its own;
        an IAM login password must sign it), or None when it challenges with none."""
        reply = self._send("GET", "/v2/", b"", {})
        found = _challenge(reply.headers.get("www-authenticate"))[1].get("service")
        return found or None

    def _call(self, method: str, path: str, body: Any = None) -> tuple[Any, dict[str, str]]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        reply = self._send(method, path, data if data is not None else b"", headers)
        if reply.status == 401:
            challenge = reply.headers.get("www-authenticate")
            scope = _challenge(challenge)[1].get("scope", "")
            authorization = self._authorization.get(scope) or self._answer(challenge)
            if authorization is not None:
                self._authorization[scope] = authorization
                headers["Authorization"] = authorization
                reply = self._send(method, path, data if data is not None else b"", headers)
        document: Any = None
        if reply.body:
            try:
                document = json.loads(reply.body)
            except ValueError:
                document = None
        if reply.status >= 400:
            _raise(reply, document)
        return document, reply.headers

    def history(self, repo: str, tag: str, limit: int | None = None) -> Any:
        query = f"?n={limit}" if limit is not None else ""
        return self._call("GET", f"/v2/{repo}/_berth/history/{quote(tag)}{query}")[0]

    def rollback(self, repo: str, tag: str, to: str | None = None) -> Any:
        query = "?" + urlencode({"to": to}) if to else ""
        return self._call("POST", f"/v2/{repo}/_berth/rollback/{quote(tag)}{query}")[0]

    def settings(self, repo: str) -> Any:
        return self._call("GET", f"/v2/{repo}/_berth/settings")[0]

    def set_settings(self, repo: str, document: dict[str, Any]) -> Any:
        return self._call("PUT", f"/v2/{repo}/_berth/settings", document)[0]

    def gc(self, dry_run: bool = False) -> Any:
        """Run one garbage collection (admin); its report."""
        return self._call("POST", "/v2/_berth/gc" + ("?dry-run=1" if dry_run else ""))[0]

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """The admin API: `path` under `/v2/_berth/admin/` (registry admin only)."""
        return self._call(method, "/v2/_berth/admin/" + path, body)[0]

    def audit(
        self,
        *,
        repository: str | None = None,
        principal: str | None = None,
        since: str | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Audit events, newest first, following the Link pages up to `limit` events."""
        params: dict[str, str | int] = {}
        if repository is not None:
            params["repository"] = repository
        if principal is not None:
            params["principal"] = principal
        if since is not None:
            params["since"] = since
        if page is not None:
            params["n"] = page
        path: str | None = "/v2/_berth/audit?" + urlencode(params)
        found: list[dict[str, Any]] = []
        while path is not None and (limit is None or len(found) < limit):
            document, headers = self._call("GET", path)
            found.extend(document.get("events", []))
            path = _next_path(headers.get("link"))
        return found if limit is None else found[:limit]

    def lifecycle(self, repo: str) -> Any:
        return self._call("GET", f"/v2/{repo}/_berth/lifecycle")[0]

    def set_lifecycle(self, repo: str, document: dict[str, Any]) -> Any:
        return self._call("PUT", f"/v2/{repo}/_berth/lifecycle", document)[0]

    def run_lifecycle(self, repo: str | None, dry_run: bool = False) -> Any:
        """Apply one repository's policy (every repository's when `repo` is None)."""
        path = f"/v2/{repo}/_berth/lifecycle" if repo else "/v2/_berth/lifecycle"
        return self._call("POST", path + ("?dry-run=1" if dry_run else ""))[0]

    def repositories(self, page: int | None = None, exact: bool = False) -> list[dict[str, Any]]:
        """Every repository with its usage (`exact`: recounted), following the Link pages."""
        params = {k: v for k, v in (("n", page), ("exact", 1 if exact else None)) if v}
        path: str | None = "/v2/_berth/repositories" + (f"?{urlencode(params)}" if params else "")
        found: list[dict[str, Any]] = []
        while path is not None:
            document, headers = self._call("GET", path)
            found.extend(document.get("repositories", []))
            path = _next_path(headers.get("link"))
        return found


def _raise(reply: Reply, document: Any) -> NoReturn:
    if document is None and reply.body:
        try:
            document = json.loads(reply.body)
        except ValueError:
            document = None
    errors = (document or {}).get("errors") if isinstance(document, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else {}
    raise RegistryError(
        reply.status,
        str(first.get("code", "UNKNOWN")),
        str(first.get("message", reply.body[:200].decode(errors="replace"))),
        first.get("detail"),
    )


def _next_path(link: str | None) -> str | None:
    if not link or 'rel="next"' not in link:
        return None
    target = link[link.index("<") + 1 : link.index(">")]
    parts = urlsplit(target)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
