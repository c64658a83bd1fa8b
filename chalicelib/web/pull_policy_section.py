"""The image page's pull-policy section: would a pull of this image be refused by its
repository's scan policy or by the signing policy, why, and which allow-listed advisories (with
their expiry) let it through. Judged exactly as the pull path judges (scanning/pull_policy.py on
the verdict the manifest item carries, on the pull path's day; the trust rule on the signers it
carries, api/manifests.py), from a fresh read of the policy item (1 GetItem: both policies live
in it) so an admin who just changed a policy sees the change. Without the signing part, a page
said "allowed" of an unsigned image that an `enforce` rule refuses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from chalicelib.web.html import e, table

if TYPE_CHECKING:
    from chalicelib.scanning.pull_policy import ScanPolicy
    from chalicelib.signing.trust_policy import TrustPolicy

SHOWN = 20


def section(
    repo: str,
    media_type: str,
    body: bytes,
    encoded_verdict: str | None,
    signers: Iterable[str] = (),
) -> str:
    from chalicelib.storage import scan_policy, trust_policy

    trust, documents = trust_policy.get_with_scan_policies()
    policy = scan_policy.of_documents(documents, repo)
    return (
        "<h2>Pull policy</h2>"
        + _scan_part(repo, policy, media_type, body, encoded_verdict)
        + _signing_part(repo, trust, body, signers)
    )


def _signing_part(repo: str, trust: TrustPolicy, body: bytes, signers: Iterable[str]) -> str:
    from chalicelib.signing.artifacts import is_signature_document

    head = '<p id="signing-policy">'
    rule = trust.rule_for(repo)
    if rule is None or rule.mode == "off":
        return head + "No signing policy here: a signature is not required.</p>"
    named = f"The signing policy for <code>{e(rule.repositories)}</code> ({e(rule.mode)})"
    if rule.signed_by(signers):
        return f'{head}{named}: <span class="badge ok">allowed</span>, signed by a trusted key.</p>'
    if is_signature_document(body):
        return f'{head}{named}: <span class="badge ok">allowed</span>, a signature itself.</p>'
    if rule.mode == "audit":
        return (
            f'{head}{named}: <span class="badge ok">allowed</span> but logged as unsigned '
            "(no trusted key signed it).</p>"
        )
    return (
        f'{head}{named}: <span class="badge bad">refused</span>: no trusted key signed it. '
        f"Sign it (<code>berth sign {e(repo)}@DIGEST --key KEY</code>, docs/signing.md) or ask a "
        "registry admin to change the policy. A client whose token also grants push here is not "
        "refused.</p>"
    )


def _scan_part(
    repo: str, policy: ScanPolicy, media_type: str, body: bytes, encoded_verdict: str | None
) -> str:
    from chalicelib.api.scan_pull_check import today
    from chalicelib.scanning.image_kinds import is_scanned_image
    from chalicelib.scanning.pull_policy import judge
    from chalicelib.scanning.scan_verdict import decode

    head = '<p id="pull-policy">'
    if not policy.enabled:
        return head + "No scan pull policy here: every pull is allowed by the scan.</p>"
    rules = []
    if policy.severity is not None:
        rules.append(f"findings at or above {policy.severity.lower()}")
    if policy.unscanned:
        rules.append("images without a completed scan")
    refused_what = "Refuses " + " and ".join(rules)
    if not is_scanned_image(media_type, body):
        verdict = (
            '<span class="badge ok">allowed</span> this is not an image the scanner scans '
            "(signatures, SBOMs and other artifacts are never refused)"
        )
    else:
        day = today()
        refusal = judge(policy, decode(encoded_verdict), day)
        if refusal is None:
            verdict = '<span class="badge ok">allowed</span>'
        elif refusal.reason in ("unscanned", "failed"):
            state = (
                "it has not been scanned" if refusal.reason == "unscanned" else "its scan failed"
            )
            verdict = f'<span class="badge bad">refused</span> {e(state)}'
        else:
            from chalicelib.scanning.refusal_summary import by_advisory, describe

            named = describe(by_advisory(refusal.worst), refusal.unnamed, SHOWN, lower=True)
            verdict = f'<span class="badge bad">refused</span> for {e(named)}'
    text = (
        f"{head}{e(refused_what)}. A pull of this image: {verdict}. "
        "A client whose token also grants push here (the pipeline that pushed) is not refused.</p>"
    )
    if not policy.allow:
        return text
    day = today()
    rows = [
        [
            f"<code>{e(entry.id)}</code>",
            e(entry.until.isoformat()),
            '<span class="badge ok">in force</span>'
            if entry.until >= day
            else '<span class="badge none">expired</span>',
            e(entry.reason or "-"),
            e(entry.by or "-"),
        ]
        for entry in sorted(policy.allow, key=lambda a: (a.until, a.id))
    ]
    return (
        text
        + "<h3>Allowed advisories</h3>"
        + table(["Advisory", "Until", "", "Reason", "By"], rows, table_id="allow-list")
    )
