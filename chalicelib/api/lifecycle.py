"""Berth extension: lifecycle policies.

`GET /v2/<name>/_berth/lifecycle` answers the repository's policy (pull);
`PUT` replaces it with a policy document (chalicelib/lifecycle/document.py; admin), a bad
one is refused with 400 naming the mistake; `POST [?dry-run=1]` applies it now and answers
what was (or would be) deleted and by which rule (admin). `POST /v2/_berth/lifecycle
[?dry-run=1]` runs every repository's policy (admin on the registry, like gc), within a
time budget: `complete: false` means the next run goes on."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.lifecycle import store
from chalicelib.lifecycle.document import parse_policy

REQUEST_BUDGET = 20.0


def _dry_run(request: HttpRequest) -> bool:
    return (request.arg("dry-run") or "").lower() in ("1", "true", "yes")


def get(request: HttpRequest, name: str, _argument: str) -> Response:
    stored = store.get(name)
    return json_response(200, {"name": name, **stored.document()}, head=request.method == "HEAD")


def put(request: HttpRequest, name: str, _argument: str) -> Response:
    document = json_body(request, "the policy")
    stored = store.put(name, parse_policy(document))
    return json_response(200, {"name": name, **stored.document()})


def run(request: HttpRequest, name: str, _argument: str) -> Response:
    from chalicelib.lifecycle.executor import run_repository

    result = run_repository(name, dry_run=_dry_run(request))
    return json_response(200, result.document())


def run_all(request: HttpRequest, _name: str, _argument: str) -> Response:
    from chalicelib.lifecycle.executor import run_all as run_every

    report = run_every(dry_run=_dry_run(request), budget=REQUEST_BUDGET)
    return json_response(200, report.document())
