"""Berth extension: lifecycle policies.

`GET /v2/<name>/_berth/lifecycle` answers the repository's policy (pull);
`PUT` replaces it with a policy document (chalicelib/lifecycle/document.py; admin), a bad
one is refused with 400 naming the mistake; `POST [?dry-run=1]` applies it now and answers
what was (or would be) deleted and by which rule (admin). `POST /v2/_berth/lifecycle
[?dry-run=1]` runs every repository's policy (admin on the registry, like gc), within a
time budget: `complete: false` means the next run goes on.

Every change is audited with the caller: `lifecycle.policy` (the policy before and after),
`lifecycle.run` (what a real run deleted; its deletions are `expire` records by the same
caller, not by the schedule's `system:lifecycle`). Dry runs change nothing and are not."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.audit import record
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
    before = store.get(name)
    stored = store.put(name, parse_policy(document))
    record.change(
        request,
        "lifecycle.policy",
        repository=name,
        detail={"before": before.document(), "after": stored.document()},
    )
    return json_response(200, {"name": name, **stored.document()})


def run(request: HttpRequest, name: str, _argument: str) -> Response:
    from chalicelib.lifecycle.executor import run_repository

    dry_run = _dry_run(request)
    result = run_repository(name, dry_run=dry_run, who=_who(request))
    if not dry_run:
        record.change(request, "lifecycle.run", repository=name, detail=_counts(result.document()))
    return json_response(200, result.document())


def run_all(request: HttpRequest, _name: str, _argument: str) -> Response:
    from chalicelib.lifecycle.executor import run_all as run_every

    dry_run = _dry_run(request)
    report = run_every(dry_run=dry_run, budget=REQUEST_BUDGET, who=_who(request))
    document = report.document()
    if not dry_run:
        detail = {**_counts(document), "repositories": len(report.repositories)}
        record.change(request, "lifecycle.run", detail=detail)
    return json_response(200, document)


def _who(request: HttpRequest) -> str:
    """Whom a run's expiries are recorded as done by: the caller; with auth off (nobody is
    known) the lifecycle itself, as for the daily run."""
    from chalicelib.lifecycle.executor import AUDIT_WHO

    caller = record.actor(request)
    return AUDIT_WHO if caller == "-" else caller


def _counts(document: dict[str, Any]) -> dict[str, Any]:
    """What a run's audit record keeps: how much it deleted, not the whole report."""

    def count(value: Any) -> int:
        return len(value) if isinstance(value, list) else int(value)

    return {
        key: count(document[key]) for key in ("deleted", "skipped", "unlink") if key in document
    } | {"complete": bool(document.get("complete", document.get("unlinkComplete", True)))}
