"""HTTP to a Berth registry's `_berth` extension API, for the `berth` admin commands.

Standard library only. The transport is a small protocol so tests can drive the in-process
app (chalice.test.Client) as well as a `berth serve` or a deployed registry over HTTP."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

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


class RegistryClient:
    def __init__(self, transport: Transport) -> None:
        self._send = transport

    @classmethod
    def for_url(cls, url: str) -> RegistryClient:
        return cls(http_transport(url))

    def _call(self, method: str, path: str, body: Any = None) -> tuple[Any, dict[str, str]]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        reply = self._send(method, path, data if data is not None else b"", headers)
        document: Any = None
        if reply.body:
            try:
                document = json.loads(reply.body)
            except ValueError:
                document = None
        if reply.status >= 400:
            errors = (document or {}).get("errors") if isinstance(document, dict) else None
            first = errors[0] if isinstance(errors, list) and errors else {}
            raise RegistryError(
                reply.status,
                str(first.get("code", "UNKNOWN")),
                str(first.get("message", reply.body[:200].decode(errors="replace"))),
                first.get("detail"),
            )
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

    def repositories(self, page: int | None = None) -> list[dict[str, Any]]:
        """Every repository with its usage, following the Link pages."""
        path: str | None = "/v2/_berth/repositories" + (f"?n={page}" if page else "")
        found: list[dict[str, Any]] = []
        while path is not None:
            document, headers = self._call("GET", path)
            found.extend(document.get("repositories", []))
            path = _next_path(headers.get("link"))
        return found


def _next_path(link: str | None) -> str | None:
    if not link or 'rel="next"' not in link:
        return None
    target = link[link.index("<") + 1 : link.index(">")]
    parts = urlsplit(target)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
