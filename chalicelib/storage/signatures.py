"""Signature verdicts, kept where the pull path already reads.

When a signature is pushed into a repository that a trust rule covers, it is verified once
(chalicelib/signing/artifacts.py) and the verdict is stored on the signature's manifest item.
A verified one adds the entry `<signature digest> <signer>` to the `signers` set of its
subject's manifest item, of the subject's children when it is an index (a signed index covers
its platforms), and of every tag pointing at any of them, so a pull by tag or digest finds who
signed in the single item it reads. A tag move copies the manifest's set (storage/manifests.py
re-reads it under a condition, so a verdict landing meanwhile is never lost). Deleting a
signature removes its entries; a policy change re-evaluates every signature of the repositories
it covers (`reevaluate`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import UpdateError

from chalicelib.config import settings
from chalicelib.oci.digest import Digest, checked_digest
from chalicelib.oci.manifest import parse_manifest
from chalicelib.signing.artifacts import (
    MAX_PAYLOAD_BYTES,
    SignatureArtifact,
    classify,
    subject_of_legacy_tag,
    verify,
)
from chalicelib.signing.trust_policy import TrustPolicy, TrustRule
from chalicelib.storage import aws, blobs
from chalicelib.storage.clock import now
from chalicelib.storage.keys import (
    MANIFEST_PREFIX,
    REFERRER_PREFIX,
    TAG_PREFIX,
    manifest_digest,
    manifest_sk,
    referrer_parts,
    repo_pk,
    tag_name,
    tag_sk,
)
from chalicelib.storage.models import ManifestItem, ReferrerItem, TagItem
from chalicelib.storage.transactions import condition_failed

if TYPE_CHECKING:
    from chalicelib.oci.manifest import ParsedManifest
    from chalicelib.signing.verdict import Verdict


@dataclass(frozen=True, slots=True)
class StoredVerdict:
    """A signature's verdict as stored on its manifest item."""

    signature: str
    subject: str
    format: str
    verified: bool
    signer: str
    reason: str
    at: str
    transparency_log_entry: bool = False

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "digest": self.signature,
            "subject": self.subject,
            "format": self.format,
            "verified": self.verified,
            "at": self.at,
        }
        if self.signer:
            out["signer"] = self.signer
        if self.reason:
            out["reason"] = self.reason
        if self.transparency_log_entry:
            out["transparencyLogEntry"] = True
        return out


def entry(signature: str, signer: str) -> str:
    return f"{signature} {signer}"


def signer_of(value: str) -> tuple[str, str]:
    """(signature digest, signer) of a `signers` entry."""
    signature, _, signer = value.partition(" ")
    return signature, signer


def on_push(
    repo: str, digest: Digest, parsed: ParsedManifest, body: bytes, tag_names: Iterable[str]
) -> StoredVerdict | None:
    """Verify a manifest just pushed if it is a signature under a rule that is not `off`;
    store and return its verdict (None: not a signature, or no rule wants it checked)."""
    artifact = classify(parsed, list(tag_names))
    if artifact is None:
        return None
    from chalicelib.storage import trust_policy

    rule = trust_policy.get().rule_for(repo)
    if rule is None or rule.mode == "off":
        return None
    stored = _evaluate(repo, str(digest), artifact, body, rule)
    _save_verdict(repo, stored)
    if stored.verified:
        _add(repo, stored.subject, {entry(str(digest), stored.signer)})
    return stored


def _evaluate(
    repo: str,
    digest: str,
    artifact: SignatureArtifact,
    body: bytes,
    rule: TrustRule,
    first_seen: datetime | None = None,
) -> StoredVerdict:
    """The verdict at `first_seen` (when the registry first verified it; default now): a
    short-lived keyless certificate valid when the signature arrived stays valid for it."""
    payloads = _read_payloads(repo, [d.digest for d in artifact.payloads])
    moment = first_seen or now()
    verdict: Verdict = verify(artifact, body, payloads, rule, moment)
    return StoredVerdict(
        digest,
        artifact.subject,
        verdict.format,
        verdict.verified,
        verdict.signer,
        verdict.reason,
        moment.isoformat(),
        verdict.transparency_log_entry,
    )


def _read_payloads(repo: str, digests: list[str]) -> dict[str, bytes]:
    """The signature payloads linked in `repo`, each read whole (they are small: the
    classifier leaves out anything over MAX_PAYLOAD_BYTES)."""
    found: dict[str, bytes] = {}
    for digest in sorted(blobs.linked(repo, map(checked_digest, digests)), key=str):
        result = aws.s3().get_object(
            Bucket=settings().bucket,
            Key=blobs.blob_key(digest),
            Range=f"bytes=0-{MAX_PAYLOAD_BYTES - 1}",
        )
        found[str(digest)] = result["Body"].read()
    return found


def _save_verdict(repo: str, stored: StoredVerdict) -> None:
    item = ManifestItem(repo_pk(repo), manifest_sk(stored.signature))
    try:
        item.update(
            actions=[ManifestItem.verdict.set(json.dumps(stored.document()))],
            condition=ManifestItem.pk.exists(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise  # deleted meanwhile: nothing to keep


def _targets(repo: str, subject: str) -> list[str]:
    """The subject and, for an index, its children: what a signature of `subject` covers."""
    try:
        item = ManifestItem.get(
            repo_pk(repo),
            manifest_sk(subject),
            consistent_read=True,
            attributes_to_get=["pk", "sk", "children"],
        )
    except ManifestItem.DoesNotExist:
        return []
    return [subject, *(str(c) for c in item.children or ())]


def _add(repo: str, subject: str, entries: set[str]) -> None:
    _change(repo, _targets(repo, subject), entries, add=True)


def _change(repo: str, targets: list[str], entries: set[str], *, add: bool) -> None:
    """Add or remove `entries` on each target manifest, then on each tag pointing at it.
    Manifests first: a tag move racing with this reads the manifest's set under a condition."""
    if not entries:
        return
    for target in targets:
        action = ManifestItem.signers.add(entries) if add else ManifestItem.signers.delete(entries)
        try:
            ManifestItem(repo_pk(repo), manifest_sk(target)).update(
                actions=[action], condition=ManifestItem.pk.exists()
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise
    for tag, target in _tags_pointing_at(repo, set(targets)):
        tag_action = TagItem.signers.add(entries) if add else TagItem.signers.delete(entries)
        try:
            TagItem(repo_pk(repo), tag_sk(tag)).update(
                actions=[tag_action], condition=TagItem.digest == target
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise  # moved meanwhile: the move copied the manifest's set


def _tags_pointing_at(repo: str, digests: set[str]) -> list[tuple[str, str]]:
    if not digests:
        return []
    return [
        (tag_name(item.sk), item.digest)
        for item in TagItem.query(
            repo_pk(repo),
            TagItem.sk.startswith(TAG_PREFIX),
            consistent_read=True,
            attributes_to_get=["pk", "sk", "digest"],
        )
        if item.digest in digests
    ]


def on_delete(repo: str, item: ManifestItem) -> None:
    """A deleted signature no longer vouches for its subject: remove its entries."""
    if item.verdict is None:
        return
    stored = json.loads(item.verdict)
    if not stored.get("verified"):
        return
    signature = manifest_digest(item.sk)
    gone = {entry(signature, str(stored.get("signer", "")))}
    _change(repo, _targets(repo, str(stored["subject"])), gone, add=False)


def verdicts_for(repo: str, subject: Digest) -> list[dict[str, Any]]:
    """The stored verdicts of every signature of `subject` (referrers and the legacy tag)."""
    found: list[dict[str, Any]] = []
    for signature, signature_format in _signatures_of(repo, str(subject)):
        try:
            item = ManifestItem.get(repo_pk(repo), manifest_sk(signature), consistent_read=True)
        except ManifestItem.DoesNotExist:
            continue
        if item.verdict is not None:
            found.append(json.loads(item.verdict))
        else:
            # Not checked (no policy covers the repository), but its format is known from how
            # it was pushed: found trying it as a user, `berth verify` showed FORMAT "-".
            found.append(
                {
                    "digest": signature,
                    "subject": str(subject),
                    "format": signature_format,
                    "verified": None,
                }
            )
    return found


def _signatures_of(repo: str, subject: str) -> list[tuple[str, str]]:
    """(digest, format) of each signature of `subject`: its referrers whose artifactType is a
    signature's, and the cosign legacy `sha256-<hex>.sig` tag."""
    from chalicelib.signing.artifacts import COSIGN_SIMPLE, SIGNATURE_FORMATS
    from chalicelib.storage.keys import referrers_of

    prefix = referrers_of(subject)
    found = [
        (referrer_parts(item.sk)[1], SIGNATURE_FORMATS[item.artifact_type])
        for item in ReferrerItem.query(
            repo_pk(repo), ReferrerItem.sk.startswith(prefix), consistent_read=True
        )
        if item.artifact_type in SIGNATURE_FORMATS
    ]
    algorithm, _, hex_digest = subject.partition(":")
    try:
        legacy = TagItem.get(repo_pk(repo), tag_sk(f"{algorithm}-{hex_digest}.sig"))
        found.append((legacy.digest, COSIGN_SIMPLE))
    except TagItem.DoesNotExist:
        pass
    return found


def reevaluate(repo: str, policy: TrustPolicy) -> int:
    """Verify every signature in `repo` again under `policy` and make each manifest's and
    tag's `signers` say exactly what the new verdicts say. Returns how many were checked."""
    rule = policy.rule_for(repo)
    wanted: dict[str, set[str]] = {}
    checked = 0
    for digest, tags in _signature_manifests(repo):
        try:
            item = ManifestItem.get(repo_pk(repo), manifest_sk(digest), consistent_read=True)
        except ManifestItem.DoesNotExist:
            continue
        body = _body(item)
        artifact = classify(parse_manifest(body, item.media_type), tags)
        if artifact is None:
            continue
        checked += 1
        if rule is None or rule.mode == "off":
            _clear_verdict(repo, digest)
            continue
        stored = _evaluate(repo, digest, artifact, body, rule, _first_seen(item))
        _save_verdict(repo, stored)
        if stored.verified:
            for target in _targets(repo, stored.subject):
                wanted.setdefault(target, set()).add(entry(digest, stored.signer))
    current = _current_signers(repo)
    for target in set(current) | set(wanted):
        stale = current.get(target, set()) - wanted.get(target, set())
        fresh = wanted.get(target, set()) - current.get(target, set())
        _change(repo, [target], stale, add=False)
        _change(repo, [target], fresh, add=True)
    return checked


def _first_seen(item: ManifestItem) -> datetime | None:
    """When the registry first verified this signature (its stored verdict's time)."""
    if item.verdict is None:
        return None
    try:
        return datetime.fromisoformat(str(json.loads(item.verdict)["at"]))
    except (ValueError, KeyError, TypeError):
        return None


def _body(item: ManifestItem) -> bytes:
    if item.body is not None:
        return bytes(item.body)
    result = aws.s3().get_object(Bucket=settings().bucket, Key=item.s3_key)
    data: bytes = result["Body"].read()
    return data


def _clear_verdict(repo: str, digest: str) -> None:
    try:
        ManifestItem(repo_pk(repo), manifest_sk(digest)).update(
            actions=[ManifestItem.verdict.remove()], condition=ManifestItem.pk.exists()
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _signature_manifests(repo: str) -> list[tuple[str, list[str]]]:
    """Every manifest of `repo` that may be a signature, with the legacy tags naming it."""
    from chalicelib.signing.artifacts import SIGNATURE_ARTIFACT_TYPES

    found: dict[str, list[str]] = {}
    for item in ReferrerItem.query(
        repo_pk(repo), ReferrerItem.sk.startswith(REFERRER_PREFIX), consistent_read=True
    ):
        if item.artifact_type in SIGNATURE_ARTIFACT_TYPES:
            found.setdefault(referrer_parts(item.sk)[1], [])
    for tag in TagItem.query(
        repo_pk(repo),
        TagItem.sk.startswith(TAG_PREFIX),
        consistent_read=True,
        attributes_to_get=["pk", "sk", "digest"],
    ):
        name = tag_name(tag.sk)
        if subject_of_legacy_tag(name) is not None:
            found.setdefault(tag.digest, []).append(name)
    return sorted(found.items())


def _current_signers(repo: str) -> dict[str, set[str]]:
    return {
        manifest_digest(item.sk): {str(s) for s in item.signers}
        for item in ManifestItem.query(
            repo_pk(repo),
            ManifestItem.sk.startswith(MANIFEST_PREFIX),
            consistent_read=True,
            attributes_to_get=["pk", "sk", "signers"],
        )
        if item.signers
    }
