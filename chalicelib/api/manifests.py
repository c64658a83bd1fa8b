"""`/v2/<name>/manifests/<tag-or-digest>`: pull, push (with `?tag=`), delete.

A pull imports only the readers (chalicelib/storage/manifest_reads.py); push and delete import
the write side when they run, so a cold function's first pull does not pay for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib.api.http import HttpRequest, respond
from chalicelib.api.locations import manifest_location
from chalicelib.cache import pull_through
from chalicelib.oci.digest import Digest, compute, is_digest, parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import check_tag
from chalicelib.storage import manifest_reads, pull_counts, pulls

if TYPE_CHECKING:
    from chalicelib.oci.manifest import ParsedManifest
    from chalicelib.signing.trust_policy import TrustRule

# One transaction moves every tag of a push (2 items each, 100 items per transaction; the
# manifest, referrer, repository, settings check and two audit items take 6 more).
MAX_TAGS_PER_PUSH = 40


def _reference(value: str) -> tuple[Digest | None, str | None]:
    """A reference is a digest or a tag; anything else is invalid."""
    if is_digest(value):
        return parse_digest(value), None
    return None, check_tag(value)


def _unknown(name: str, reference: str) -> OCIError:
    return OCIError(
        "MANIFEST_UNKNOWN",
        f"manifest {reference[:200]} is not in repository {name}",
        detail={"reference": reference[:200]},
    )


def _lookup_reference(name: str, reference: str) -> tuple[Digest | None, str | None]:
    """A pull of a reference that is neither a tag nor a digest asks for a manifest that
    cannot exist: 404 MANIFEST_UNKNOWN, as for any other unknown manifest (strict
    conformance clients pull `.INVALID_MANIFEST_NAME` and expect exactly that)."""
    try:
        return _reference(reference)
    except OCIError:
        raise _unknown(name, reference) from None


def get(request: HttpRequest, name: str, reference: str) -> Response:
    digest, tag = _lookup_reference(name, reference)
    if digest is not None:
        stored = manifest_reads.by_digest(name, digest)
    else:
        assert tag is not None  # a reference is one or the other
        stored = manifest_reads.by_tag(name, tag)
    stored = pull_through.manifest(request, name, tag, digest, stored)
    if stored is None:
        raise _unknown(name, reference)
    _check_signed(request, name, stored)
    from chalicelib.api import scan_pull_check

    scan_pull_check.check(request, name, stored, _may_push)
    if request.method == "GET":  # at most one write a day per tag and manifest
        pulls.record(name, stored.digest, stored.pulled_at, stored.via_tag)
        pull_counts.count(name)  # in memory; one write a minute per instance at most
    headers = {
        "Content-Type": stored.media_type,
        "Docker-Content-Digest": str(stored.digest),
        "Content-Length": str(len(stored.body)),
        "ETag": f'"{stored.digest}"',
    }
    return respond(200, headers, stored.body.decode("utf-8"), head=request.method == "HEAD")


def _check_signed(request: HttpRequest, name: str, stored: manifest_reads.StoredManifest) -> None:
    """Under a signing policy in `enforce`, refuse an image no trusted key signed; in `audit`,
    serve it and log that. Exempt: signatures themselves (a deploy verifies them) and callers
    who may push here (the pipeline that pushes, then signs). Reads no more than the item
    already read and the policy this instance cached (chalicelib/storage/trust_policy.py)."""
    from chalicelib.storage import trust_policy

    rule = trust_policy.cached().rule_for(name)
    if rule is None or rule.mode == "off" or rule.signed_by(stored.signers):
        return
    from chalicelib.signing.artifacts import is_signature_document

    if is_signature_document(stored.body) or _may_push(request, name):
        return
    if rule.mode == "audit":  # served; the request's log line says so
        request.signature = "unsigned (audit)"
        return
    raise OCIError(
        "DENIED",
        f"manifest {stored.digest} is not signed by a key or certificate the signing policy "
        f"for {rule.repositories!r} trusts (mode enforce); sign it (docs/signing.md), or ask a "
        "registry admin to change the policy",
        status=403,
        detail={"digest": str(stored.digest), "policy": rule.repositories, "missing": "signature"},
    )


def _may_push(request: HttpRequest, name: str) -> bool:
    if request.access is None:  # auth off: nobody is known, so nobody is exempt
        return False
    from chalicelib.auth.scope import ResourceScope

    return bool(request.access.may(ResourceScope("repository", name, ("push",))))


def _verify_if_signature(
    request: HttpRequest,
    name: str,
    digest: Digest,
    parsed: ParsedManifest,
    body: bytes,
    tag_names: list[str],
) -> None:
    """A pushed signature is verified now, once, so no pull pays for cryptography; the push
    stands whatever the verdict (the verdict is what a pull policy reads)."""
    from chalicelib.signing.artifacts import classify

    if classify(parsed, tag_names) is None:
        return
    from chalicelib.log import logger
    from chalicelib.storage import signatures

    try:
        verdict = signatures.on_push(name, digest, parsed, body, tag_names)
    except Exception:  # the push committed; the status API shows it as not yet verified
        logger.exception("signature verification failed", extra={"fields": {"repository": name}})
        return
    if verdict is None:
        return
    from chalicelib.audit import record, store

    detail = {k: v for k, v in verdict.document().items() if k not in ("digest", "at")}
    store.write(record.event(request, "verify", repository=name, digest=str(digest), detail=detail))


def _signing_rule(name: str, parsed: ParsedManifest) -> TrustRule | None:
    """The rule that makes the registry sign this push (managed signing), read before the
    push commits: a fault reading it fails the push with nothing written, never after."""
    if parsed.subject is not None:
        return None
    from chalicelib.storage import trust_policy

    rule = trust_policy.cached().rule_for(name)
    return rule if rule is not None and rule.sign_with else None


def _sign_if_managed(
    rule: TrustRule | None,
    name: str,
    digest: Digest,
    parsed: ParsedManifest,
    body: bytes,
    tag_names: list[str],
) -> None:
    """Under a rule with `signWith`, the registry signs each image it is given (not referrers:
    signatures, SBOMs). The push stands if signing fails; the status API shows it unsigned."""
    if rule is None:
        return
    from chalicelib.signing.artifacts import classify

    if classify(parsed, tag_names) is not None:
        return
    from chalicelib.log import logger
    from chalicelib.storage import managed_signing

    try:
        managed_signing.sign(
            name, digest, parsed.media_type, len(body), rule.sign_with, rule.sign_certificates
        )
    except Exception:
        logger.exception("managed signing failed", extra={"fields": {"repository": name}})


def put(request: HttpRequest, name: str, reference: str) -> Response:
    from chalicelib.oci.manifest import MAX_MANIFEST_BYTES, parse_manifest
    from chalicelib.storage import manifests

    body = request.body
    if len(body) > MAX_MANIFEST_BYTES:
        raise OCIError(
            "SIZE_INVALID",
            f"manifest is {len(body)} bytes; the limit is {MAX_MANIFEST_BYTES}",
            status=413,
        )
    wanted, tag = _reference(reference)
    extra_tags = request.args("tag")
    if len(extra_tags) + 1 > MAX_TAGS_PER_PUSH:
        raise OCIError(
            "MANIFEST_INVALID",
            f"at most {MAX_TAGS_PER_PUSH} tags per push",
            status=414,
        )
    tag_names = list(dict.fromkeys([*([tag] if tag else []), *map(check_tag, extra_tags)]))
    parsed = parse_manifest(body, request.header("content-type"))
    digest = compute(body, wanted.algorithm if wanted else "sha256")
    if wanted is not None and digest != wanted:
        raise OCIError(
            "DIGEST_INVALID",
            f"manifest has digest {digest}, not {wanted}",
            detail={"expected": str(wanted), "actual": str(digest)},
        )
    from chalicelib.audit import record

    # What the event of this push says of it (chalicelib/events/ reads it from the audit item).
    what: dict[str, object] = {"mediaType": parsed.media_type, "size": len(body)}
    if parsed.artifact_type:
        what["artifactType"] = parsed.artifact_type
    if parsed.subject is not None:
        what["subject"] = parsed.subject.digest

    # Storage adds the tags that moved, and whether the manifest was there already (then
    # the push is a tag event), and writes the event with the push.
    event = record.event(request, "push", repository=name, digest=str(digest), detail=what)
    signing = _signing_rule(name, parsed)
    manifests.put(
        name,
        digest,
        parsed,
        body,
        tag_names,
        request.principal,
        event,
        check_references=True,
    )
    _verify_if_signature(request, name, digest, parsed, body, tag_names)
    _sign_if_managed(signing, name, digest, parsed, body, tag_names)
    headers = {
        "Location": manifest_location(name, digest),
        "Docker-Content-Digest": str(digest),
        "Content-Length": "0",
    }
    if extra_tags:
        headers["OCI-Tag"] = ", ".join(tag_names)
    if parsed.subject is not None:
        headers["OCI-Subject"] = parsed.subject.digest
    return respond(201, headers)


def delete(request: HttpRequest, name: str, reference: str) -> Response:
    from chalicelib.audit import record
    from chalicelib.storage import manifests, tags

    digest, tag = _reference(reference)
    who = request.principal
    # Storage adds what was deleted (the tag's digest, the tags that went with a manifest).
    if digest is not None:
        event = record.event(request, "delete", repository=name, digest=str(digest))
        found = manifests.delete(name, digest, who, event)
    else:
        assert tag is not None  # a reference is one or the other
        event = record.event(request, "delete", repository=name)
        found = tags.delete(name, tag, actor=who, event=event)
    if not found:
        raise _unknown(name, reference)
    return respond(202, {"Content-Length": "0"})
