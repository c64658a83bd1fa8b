"""Hand-picked one-line mutations of the safety-critical code, each run against its tests.

`make mutate` (or `.venv/bin/python scripts/mutate.py [ID...]`) applies each mutation in turn
to the working tree, runs the targeted tests, restores the file, and prints which mutations
survived: a survivor is a promise of the code that no test guards. It is slow and edits
files while it runs, so it is not part of CI; it is where a review of the tests starts.

Each mutation names the exact line it changes, so a refactoring that moves or rewrites the
line makes the mutation "stale" (reported, never silently skipped): update the list then.

Left out as equivalent: dropping `state == CONDEMNED` from the collector's claim
(gc/guard.py), since a push's veto deletes the marker and the claim's `run == run` condition
then fails on the missing item just the same.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = [str(ROOT / ".venv" / "bin" / "pytest"), "-x", "-q", "-n", "0", "-p", "no:cacheprovider"]

GC = ["tests/gc/test_gc.py", "tests/gc/test_gc_manifests.py"]
UPLOADS = ["tests/api/test_refused_uploads.py", "tests/api/test_uploads.py"]
DIRECT = ["tests/extensions/test_s3_uploads.py"]
TAGS = ["tests/extensions/test_immutability.py", "tests/storage/test_tag_rules.py"]
PERMISSIONS = ["tests/auth/test_permissions.py", "tests/auth/test_access_matrix.py"]
PRESIGN = ["tests/api/test_blobs.py", "tests/localserver/test_presigned.py"]


@dataclass(frozen=True, slots=True)
class Mutation:
    id: str
    path: str
    line: str  # the whole line, without its indentation and newline
    mutant: str  # what replaces it (same indentation)
    tests: list[str]
    why: str


MUTATIONS = [
    Mutation(
        "M1", "chalicelib/gc/collect.py",
        "kept = again.referenced | again.manifest_keys",
        "kept: set[str] = set()",
        GC, "GC ignores what its second scan found linked after the condemn",
    ),
    Mutation(
        "M2", "chalicelib/storage/uploads.py",
        "if actual != digest.hex:",
        "if actual != digest.hex and (write(blobs.blob_key(digest)) or True):",
        UPLOADS, "a chunked upload writes its content address before checking the digest",
    ),
    Mutation(
        "M3", "chalicelib/storage/manifests.py",
        'tags.guard(repo, pointing, "delete")  # refuse before anything is deleted',
        "pass",
        TAGS, "DELETE by digest removes mutable tags before meeting the immutable one",
    ),
    Mutation(
        "gc-grace", "chalicelib/gc/collect.py",
        "candidates = {o.digest: o for o in unreferenced if o.modified < cutoff}",
        "candidates = {o.digest: o for o in unreferenced}",
        GC, "GC deletes objects of pushes still inside the grace period",
    ),
    Mutation(
        "gc-confirm", "chalicelib/storage/blobs.py",
        "if fresh or gc_fence.settled(str(digest)) or stored_size(s3_key) == size:",
        "if fresh or stored_size(s3_key) == size:",
        GC, "a re-push of a condemned blob does not veto the collection",
    ),
    Mutation(
        "link-fresh", "chalicelib/storage/blobs.py",
        "if fresh or gc_fence.settled(str(digest)) or stored_size(s3_key) == size:",
        "if True:",
        GC, "a link of an object found in S3 skips the collector's marker",
    ),
    Mutation(
        "monolithic-digest", "chalicelib/api/uploads.py",
        "if actual != digest:",
        "if False:",
        UPLOADS, "a monolithic POST stores bytes under a digest they do not have",
    ),
    Mutation(
        "direct-checksum", "chalicelib/storage/direct_verify.py",
        "if found != digest.hex:",
        "if False:",
        DIRECT, "s3-uploads trusts a stored checksum other than the digest",
    ),
    Mutation(
        "tag-delete-guard", "chalicelib/storage/tags.py",
        "why = rules.refusal(repo, name, verb)",
        "why = None",
        TAGS, "immutable tags move and go",
    ),
    Mutation(
        "tag-delete-only-if", "chalicelib/storage/tags.py",
        "if current is None or (only_if is not None and current.digest != str(only_if)):",
        "if current is None:",
        [*TAGS, "tests/storage/test_concurrency.py"], "deleting a manifest drops a moved tag",
    ),
    Mutation(
        "rollback-guard", "chalicelib/storage/tag_rollback.py",
        'rules = tags.guard(repo, [tag] if before is not None else [], "roll back")',
        "rules = None",
        TAGS, "rollback moves an immutable tag",
    ),
    Mutation(
        "push-guard", "chalicelib/storage/manifests.py",
        'rules = tags.guard(repo, [n for n in moving if before[n] is not None], "move")',
        "rules = None",
        TAGS, "a push moves an immutable tag",
    ),
    Mutation(
        "permission-off-by-one", "chalicelib/auth/permissions.py",
        "return level(principal, repository, now=now, public=public, grants=grants) >= needed",
        "return level(principal, repository, now=now, public=public, grants=grants) >= needed - 1",
        PERMISSIONS, "each level allows the next action up",
    ),
    Mutation(
        "registry-admin", "chalicelib/auth/permissions.py",
        'g.pattern == "*" and g.level == Level.ADMIN and g.live(now) for g in principal.grants',
        'g.level == Level.ADMIN and g.live(now) for g in principal.grants',
        PERMISSIONS, "admin of one repository administers the registry",
    ),
    Mutation(
        "presign-ttl", "chalicelib/storage/blobs.py",
        "ExpiresIn=config.presign_ttl,",
        "ExpiresIn=config.presign_ttl * 2,",
        PRESIGN, "blob URLs live twice as long as configured",
    ),
    Mutation(
        "presign-expiry", "berth/localserver/presigned.py",
        "if now >= presigned.expires_at:",
        "if now > presigned.expires_at:",
        PRESIGN, "the local S3 front serves a URL at its expiry second",
    ),
    Mutation(
        "presign-signature", "berth/localserver/presigned.py",
        "if not hmac.compare_digest(expected, presigned.signature):",
        "if False:",
        [*PRESIGN, "tests/localserver/test_s3front.py"], "the local S3 front takes any signature",
    ),
]  # fmt: skip


def apply(mutation: Mutation) -> str | None:
    """Mutate the file; its original text, or None if the line is not there exactly once."""
    path = ROOT / mutation.path
    original = path.read_text()
    lines = original.splitlines(keepends=True)
    found = [i for i, text in enumerate(lines) if text.strip() == mutation.line]
    if len(found) != 1:
        return None
    index = found[0]
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines[index] = f"{indent}{mutation.mutant}\n"
    path.write_text("".join(lines))
    return original


def run(mutation: Mutation) -> str:
    """'killed', 'survived' or 'stale' (the line is gone: update the list)."""
    original = apply(mutation)
    if original is None:
        return "stale"
    try:
        env = {**os.environ, "BERTH_REQUIRE_SPECS": "1"}
        result = subprocess.run(
            [*PYTEST, *mutation.tests], cwd=ROOT, env=env, capture_output=True, check=False
        )
    finally:
        (ROOT / mutation.path).write_text(original)
    # 1: tests failed. Anything else (2-5: interrupted, internal error, usage, no tests)
    # means the run said nothing about the mutation: report it as not killed.
    return "killed" if result.returncode == 1 else "survived"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="mutation ids (default: all)")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.ids or m.id in args.ids]
    outcomes: dict[str, list[str]] = {"killed": [], "survived": [], "stale": []}
    for mutation in chosen:
        started = time.monotonic()
        outcome = run(mutation)
        outcomes[outcome].append(mutation.id)
        seconds = time.monotonic() - started
        print(f"{outcome:8} {mutation.id:22} {seconds:6.1f}s  {mutation.why}", flush=True)
    print(
        f"\n{len(outcomes['killed'])} killed, {len(outcomes['survived'])} survived, "
        f"{len(outcomes['stale'])} stale"
    )
    for outcome in ("survived", "stale"):
        if outcomes[outcome]:
            print(f"{outcome}: {' '.join(outcomes[outcome])}")
    return 1 if outcomes["survived"] or outcomes["stale"] else 0


if __name__ == "__main__":
    sys.exit(main())
