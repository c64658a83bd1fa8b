"""Berth extension: `/v2/<name>/_berth/scan-policy` — a repository's scan pull policy.

GET (pull) answers it; PUT (repository admin) replaces it with a JSON document
`{"severity": "HIGH", "refuseUnscanned": true, "allow": [{"id": "CVE-2024-1", "until":
"2027-01-31", "reason": "..."}]}` (`severity` null and `refuseUnscanned` false: off). An allow
entry without `by` is stamped with the caller. A change is audited (`scan-policy.change`, the
policy before and after, by the caller), as other settings are."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.oci.errors import OCIError
from chalicelib.storage import scan_policy


def get(request: HttpRequest, name: str, _argument: str) -> Response:
    policy = scan_policy.get(name)
    return json_response(200, {"name": name, **policy.document()}, head=request.method == "HEAD")


def put(request: HttpRequest, name: str, _argument: str) -> Response:
    from chalicelib.audit import record
    from chalicelib.scanning.pull_policy import PolicyError, parse

    document = json_body(request, "the scan policy document")
    actor = record.actor(request)
    try:
        wanted = parse(document, by=actor if actor != "-" else None)
    except PolicyError as error:
        raise OCIError("UNSUPPORTED", f"scan policy: {error}", status=400) from None
    before = scan_policy.get(name)
    try:
        stored = scan_policy.put(name, wanted, actor if actor != "-" else None)
    except PolicyError as error:
        raise OCIError("UNSUPPORTED", f"scan policy: {error}", status=400) from None
    except scan_policy.PolicyBusy as error:
        raise OCIError("UNAVAILABLE", str(error), status=503) from None
    after = stored.document()
    changed = [k for k in after if k != "version" and before.document().get(k) != after[k]]
    record.change(
        request,
        "scan-policy.change",
        repository=name,
        detail={"before": before.document(), "after": after, "changed": changed},
    )
    return json_response(200, {"name": name, **after})
