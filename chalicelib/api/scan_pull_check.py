"""The scan pull policy on the pull path: refuse a manifest pull (403 DENIED) that a
repository's scan policy forbids, naming the worst advisories and the command that makes an
exception. Reads nothing beyond the item the pull read (its copied scan verdict) and the
policy this instance cached (storage/scan_policy.py).

Exempt, as under signing `enforce`: manifests the scanner does not scan (signatures, SBOMs,
its own reports, any artifact), and callers who may push here (the pipeline that pushes, then
waits for the scan)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from chalicelib.oci.errors import OCIError

if TYPE_CHECKING:
    from chalicelib.api.http import HttpRequest
    from chalicelib.scanning.pull_policy import Refusal, ScanPolicy
    from chalicelib.storage.manifests import StoredManifest

SHOWN = 5  # advisories named in the message; the detail lists up to DETAILED findings
DETAILED = 50


def _today() -> date:
    return datetime.now(UTC).date()


today: Callable[[], date] = _today  # tests set the day instead of waiting for it


def check(
    request: HttpRequest,
    name: str,
    stored: StoredManifest,
    may_push: Callable[[HttpRequest, str], bool],
) -> None:
    from chalicelib.storage import trust_policy

    if not isinstance(trust_policy.cached_scan_policies().get(name), dict):
        return  # no policy for this repository (scan_policy._of: off); the scanning modules
        # stay unimported, which a cold start's first pull would otherwise pay for
    from chalicelib.storage import scan_policy

    policy = scan_policy.cached(name)
    if not policy.enabled:
        return
    from chalicelib.scanning.image_kinds import is_scanned_image
    from chalicelib.scanning.pull_policy import judge
    from chalicelib.scanning.scan_verdict import decode

    refusal = judge(policy, decode(stored.scan_verdict), today())
    if refusal is None or not is_scanned_image(stored.media_type, stored.body):
        return
    if may_push(request, name):
        return
    raise _denied(name, str(stored.digest), policy, refusal)


def _denied(name: str, digest: str, policy: ScanPolicy, refusal: Refusal) -> OCIError:
    detail: dict[str, object] = {"digest": digest, "policy": policy.document(), "reason": None}
    if refusal.reason in ("unscanned", "failed"):
        state = "has not been scanned yet" if refusal.reason == "unscanned" else "failed its scan"
        message = (
            f"manifest {digest} {state}, and the scan policy of {name} refuses images without "
            f"a completed scan; scan it (berth scan {name}@{digest}) or ask a repository admin "
            f"to change the policy (berth scan policy set {name} ...)"
        )
        detail["reason"] = refusal.reason
        return OCIError("DENIED", message, status=403, detail=detail)
    from chalicelib.scanning.refusal_summary import by_advisory, describe

    blocking = by_advisory(refusal.worst)
    named = describe(blocking, refusal.unnamed, SHOWN)
    # Every advisory named gets its exception in the one command: allowing only the first
    # left the user refused again for the next.
    ids = " ".join(b.id for b in blocking[:SHOWN]) or "ADVISORY-ID"
    others = (
        " (and the others `berth scan` lists)" if len(blocking) > SHOWN or refusal.unnamed else ""
    )
    message = (
        f"manifest {digest} is refused by the scan policy of {name} (findings at or above "
        f"{policy.severity}): {named}. See them all: berth scan {name}@{digest} --stored. "
        f"For an exception, a repository admin runs: berth scan policy allow {name} {ids} "
        f"--until YYYY-MM-DD --reason '...'{others}"
    )
    detail["reason"] = "findings"
    detail["findings"] = [
        {"id": i, "package": p, "severity": s} for i, p, s in refusal.worst[:DETAILED]
    ]
    detail["unlisted"] = max(0, len(refusal.worst) - DETAILED) + refusal.unnamed
    return OCIError("DENIED", message, status=403, detail=detail)
