"""HTTP to a Berth registry's `_berth` extension API, for the `berth` admin commands.

Standard library only. The transport is a small protocol so tests can drive the in-process
app (chalice.test.Client) as well as a `berth serve` or a deployed registry over HTTP.

With credentials, a 401's challenge is answered by the token flow
(`chalicelib.remote.token_flow`), then the request sent again. Tokens are kept per challenge
scope for the life of the client; one that stops working (expired, revoked) is dropped and the
new challenge answered afresh."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol
from urllib.parse import quote, urlencode, urlsplit

from berth.client.credentials import Credentials
from berth.client.registry_address import DEFAULT_REGISTRY, registry_url
from chalicelib.remote import token_flow as token

TIMEOUT_SECONDS = 60.0
MANIFESTS = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)


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


__all__ = ["DEFAULT_REGISTRY", "RegistryClient", "RegistryError", "registry_url"]


class RegistryClient:
    def __init__(
        self,
        transport: Transport,
        credentials: Credentials | None = None,
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
    def for_url(cls, url: str, credentials: Credentials | None = None) -> RegistryClient:
        return cls(http_transport(url), credentials, over_http=True)

    def _fetch_token(self, url: str, headers: dict[str, str]) -> bytes:
        realm = urlsplit(url)
        send = self._send
        if self._over_http:
            send = http_transport(f"{realm.scheme}://{realm.netloc}")
        reply = send("GET", realm.path + (f"?{realm.query}" if realm.query else ""), b"", headers)
        if reply.status != 200:
            _raise(reply, None)
        return reply.body

    def _answer(self, reply: Reply, again: Callable[[str], Reply]) -> Reply:
        """A 401 answered: `again` sends the request with an Authorization. The token kept for
        the challenge's scope first; if that one is refused, a new one."""
        challenge = token.answerable(reply.headers.get("www-authenticate"), self._credentials)
        if challenge is None:
            return reply
        scope = challenge.params.get("scope", "")
        kept = self._authorization.pop(scope, None)
        if kept is not None:
            reply = again(kept)
            if reply.status != 401:
                self._authorization[scope] = kept
                return reply
            challenge = token.answerable(reply.headers.get("www-authenticate"), self._credentials)
            if challenge is None:
                return reply
        try:
            authorization = token.authorization(challenge, self._credentials, self._fetch_token)
        except token.NoTokenError as error:
            raise RegistryError(200, "UNAUTHORIZED", str(error)) from None
        if authorization is None:
            return reply
        self._authorization[scope] = authorization
        return again(authorization)

    def service(self) -> str | None:
        """The `service` the registry's challenge names (each deployed registry has its own;
        an IAM login password must sign it), or None when it challenges with none."""
        reply = self._send("GET", "/v2/", b"", {})
        challenge = token.answerable(reply.headers.get("www-authenticate"), None)
        found = challenge.params.get("service") if challenge is not None else None
        return found or None

    def _call(
        self, method: str, path: str, body: Any = None, accept: str = "application/json"
    ) -> tuple[Any, dict[str, str]]:
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = "application/json"
        reply = self._send(method, path, data, headers)
        if reply.status == 401 and self._credentials is not None:
            reply = self._answer(
                reply,
                lambda authorization: self._send(
                    method, path, data, {**headers, "Authorization": authorization}
                ),
            )
        document: Any = None
        if reply.body:
            try:
                document = json.loads(reply.body)
            except ValueError:
                document = None
        if reply.status >= 400:
            _raise(reply, document)
        return document, reply.headers

    def ui_link(self, iam_password: str) -> Any:
        """A one-time sign-in link to the web pages for the IAM caller of `iam_password`
        (chalicelib/web/iam_link.py): `{"link": "/ui/link?code=...", "expiresIn": seconds}`."""
        return self._call("POST", "/ui/iam-link", {"password": iam_password})[0]

    def check_login(self) -> None:
        """Ask `/v2/` with the credentials (through the token flow when challenged): raises the
        registry's refusal when they are wrong."""
        self._call("GET", "/v2/")

    def history(self, repo: str, tag: str, limit: int | None = None) -> Any:
        query = f"?n={limit}" if limit is not None else ""
        return self._call("GET", f"/v2/{repo}/_berth/history/{quote(tag)}{query}")[0]

    def rollback(self, repo: str, tag: str, to: str | None = None) -> Any:
        query = "?" + urlencode({"to": to}) if to else ""
        return self._call("POST", f"/v2/{repo}/_berth/rollback/{quote(tag)}{query}")[0]

    def tag_details(self, repo: str) -> Any:
        """Every tag with its size, platforms and dates (`_berth/tags`)."""
        return self._call("GET", f"/v2/{repo}/_berth/tags")[0]

    def manifest_digest(self, repo: str, reference: str) -> str:
        """The digest `reference` (a tag) names now: a HEAD of the manifest."""
        headers = self._call(
            "HEAD", f"/v2/{repo}/manifests/{quote(reference, safe=':')}", accept=MANIFESTS
        )[1]
        return headers.get("docker-content-digest", "")

    def delete_manifest(self, repo: str, reference: str) -> None:
        """DELETE by tag (the tag only, recorded in its history) or by digest (the image and
        every tag of it)."""
        self._call("DELETE", f"/v2/{repo}/manifests/{quote(reference, safe=':')}")

    def settings(self, repo: str) -> Any:
        return self._call("GET", f"/v2/{repo}/_berth/settings")[0]

    def set_settings(self, repo: str, document: dict[str, Any]) -> Any:
        return self._call("PUT", f"/v2/{repo}/_berth/settings", document)[0]

    def gc(self, dry_run: bool = False, full: bool = False, reindex: bool = False) -> Any:
        """Run one garbage collection (admin); its report. `reindex`: backfill the
        reference index instead (what it indexed)."""
        flags = [f for f, on in (("dry-run", dry_run), ("full", full), ("reindex", reindex)) if on]
        query = "?" + "&".join(f"{f}=1" for f in flags) if flags else ""
        return self._call("POST", "/v2/_berth/gc" + query)[0]

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """The admin API: `path` under `/v2/_berth/admin/` (registry admin only)."""
        return self._call(method, "/v2/_berth/admin/" + path, body)[0]

    def webhooks(self, method: str, path: str = "", body: Any = None) -> Any:
        """The webhooks API: `path` under `/v2/_berth/webhooks` (registry admin only)."""
        return self._call(method, "/v2/_berth/webhooks" + (f"/{path}" if path else ""), body)[0]

    def signing_policy(self, document: Any = None) -> Any:
        """The signature trust policy; with `document`, replace it (registry admin only)."""
        if document is None:
            return self._call("GET", "/v2/_berth/signing/policy")[0]
        return self._call("PUT", "/v2/_berth/signing/policy", document)[0]

    def signatures(self, repo: str, reference: str) -> Any:
        """Who signed `reference` (a tag or digest), verified or why not, under the policy."""
        return self._call("GET", f"/v2/{repo}/_berth/signatures/{quote(reference, safe=':')}")[0]

    def triggers(self, method: str, path: str = "", body: Any = None) -> Any:
        """The deploy-on-push API: `path` under `/v2/_berth/triggers` (registry admin only)."""
        return self._call(method, "/v2/_berth/triggers" + (f"/{path}" if path else ""), body)[0]

    def replication(self, method: str, path: str = "", body: Any = None) -> Any:
        """The replication API: `path` under `/v2/_berth/replication` (registry admin only)."""
        return self._call(method, "/v2/_berth/replication" + (f"/{path}" if path else ""), body)[0]

    def cache(self, method: str, path: str = "", body: Any = None) -> Any:
        """The pull-through cache rules: `path` under `/v2/_berth/cache` (registry admin)."""
        return self._call(method, "/v2/_berth/cache" + (f"/{path}" if path else ""), body)[0]

    def audit(
        self,
        *,
        repository: str | None = None,
        principal: str | None = None,
        everything: bool = False,
        since: str | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Audit events, newest first, following the Link pages up to `limit` events
        (`everything`: the registry-wide feed)."""
        params: dict[str, str | int] = {}
        if repository is not None:
            params["repository"] = repository
        if principal is not None:
            params["principal"] = principal
        if everything:
            params["all"] = 1
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

    def scan(self, repo: str, reference: str) -> Any:
        """The stored findings of `repo` at a tag or digest (status NOT_SCANNED if none)."""
        return self._call("GET", f"/v2/{repo}/_berth/scan/{reference}")[0]

    def request_scan(self, repo: str, reference: str) -> Any:
        """Queue a fresh scan for the registry's scanner; the answer's `scannedAt` is the
        stored scan's (None if none), which a GET's changes once the new one is stored."""
        return self._call("POST", f"/v2/{repo}/_berth/scan/{reference}")[0]

    def scan_policy(self, repo: str, document: dict[str, Any] | None = None) -> Any:
        """A repository's scan pull policy; with `document`, replace it (repository admin)."""
        if document is None:
            return self._call("GET", f"/v2/{repo}/_berth/scan-policy")[0]
        return self._call("PUT", f"/v2/{repo}/_berth/scan-policy", document)[0]

    def vulndb(self, advisories: list[dict[str, Any]] | None = None, rescan: bool = False) -> Any:
        """Add a batch of OSV records to the advisory database (`rescan`: then rescan every
        stored image against it); None and no rescan: read its state."""
        if advisories is None and not rescan:
            return self._call("GET", "/v2/_berth/vulndb")[0]
        body = {"advisories": advisories or [], "rescan": rescan}
        return self._call("POST", "/v2/_berth/vulndb", body)[0]

    def vulndb_sync(self, document: dict[str, Any]) -> Any:
        """Run the OSV sync now (registry admin); what it copied and rebuilt."""
        return self._call("POST", "/v2/_berth/vulndb/sync", document)[0]

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
