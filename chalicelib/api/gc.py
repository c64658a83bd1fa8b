"""Berth extension: `POST /v2/_berth/gc[?dry-run=1]` runs one garbage collection and answers
its report (admin only, registry-wide). The scheduled collection (app.py) runs the same code.

Through the API rather than from the client with AWS credentials: `berth gc` then needs only
a registry token with admin rights, and the function's least-privilege role stays the one
principal that deletes blobs. Behind API Gateway a request has 29 s, so the run is given a
budget and reports `complete: false` when it stopped early; the next run finishes the work.
A real run is audited (`gc.run`, what it deleted, by the caller); a dry run changes nothing."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.gc.collect import collect

REQUEST_BUDGET = 20.0


def post(request: HttpRequest, _name: str, _argument: str) -> Response:
    dry_run = (request.arg("dry-run") or "").lower() in ("1", "true", "yes")
    report = collect(dry_run=dry_run, budget=REQUEST_BUDGET)
    document = report.document()
    if not dry_run:
        from chalicelib.audit import record

        detail: dict[str, Any] = {
            key: document[key]
            for key in ("blobs", "manifests", "staging", "sessions", "complete", "busy")
            if key in document
        }
        record.change(request, "gc.run", detail=detail)
    return json_response(200, document)
