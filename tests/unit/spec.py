"""Grammar copied verbatim from the specs, shared by the unit tests as independent oracles.

The literals below are the spec's text, not the implementation's; `spec_text()` lets a test
check that they still match the spec file when it is available.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# The published specs live in shared/specs beside the checkout (as CI lays it out).
SPEC_DIR = Path(
    os.environ.get("BERTH_SPECS", Path(__file__).resolve().parents[3] / "shared" / "specs")
)
DISTRIBUTION_SPEC = SPEC_DIR / "distribution-spec-main.md"
DESCRIPTOR_SPEC = SPEC_DIR / "image-spec" / "descriptor.md"

# distribution-spec, "Pulling manifests": `<name>` MUST match ...
SPEC_NAME_REGEX = r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"
# distribution-spec, "Pulling manifests": a tag MUST match ...
SPEC_TAG_REGEX = r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}"
# distribution-spec, "Pushing a blob in chunks": the Content-Range MUST match ...
SPEC_CONTENT_RANGE_REGEX = r"^[0-9]+-[0-9]+$"
# image-spec descriptor.md, "Digests": the EBNF grammar, written as a regex.
SPEC_DIGEST_REGEX = r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+"
# image-spec descriptor.md, "Registered algorithms" (the two Berth supports).
SPEC_SHA256_REGEX = r"sha256:[a-f0-9]{64}"
SPEC_SHA512_REGEX = r"sha512:[a-f0-9]{128}"

NAME_RE = re.compile(SPEC_NAME_REGEX)
TAG_RE = re.compile(SPEC_TAG_REGEX)
DIGEST_RE = re.compile(SPEC_DIGEST_REGEX)

# image-spec manifest.md, "Guidance for an Empty Descriptor".
EMPTY_JSON_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

# distribution-spec, "Referrers Tag Schema": (digest, truncated algorithm, truncated
# encoded, referrers tag), the spec's example table.
REFERRERS_TAG_EXAMPLES: list[tuple[str, str, str, str]] = [
    (
        "sha256:" + "a" * 64,
        "sha256",
        "a" * 64,
        "sha256-" + "a" * 64,
    ),
    (
        "sha512:" + "a" * 128,
        "sha512",
        "a" * 64,
        "sha512-" + "a" * 64,
    ),
    (
        "test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall"
        "+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharac"
        "tersToExcerciseEncodedTruncation",
        "test+algorithm+using+algorithm+s",
        "alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot",
        "test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndL"
        "otsAndLot",
    ),
]

# distribution-spec, "Error Codes": code -> description.
SPEC_ERROR_CODES: dict[str, str] = {
    "BLOB_UNKNOWN": "blob unknown to registry",
    "BLOB_UPLOAD_INVALID": "blob upload invalid",
    "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry",
    "DIGEST_INVALID": "provided digest did not match uploaded content",
    "MANIFEST_BLOB_UNKNOWN": "manifest references a manifest or blob unknown to registry",
    "MANIFEST_INVALID": "manifest invalid",
    "MANIFEST_UNKNOWN": "manifest unknown to registry",
    "NAME_INVALID": "invalid repository name",
    "NAME_UNKNOWN": "repository name not known to registry",
    "SIZE_INVALID": "provided length did not match content length",
    "UNAUTHORIZED": "authentication required",
    "DENIED": "requested access to the resource is denied",
    "UNSUPPORTED": "the operation is unsupported",
    "TOOMANYREQUESTS": "too many requests",
}


# `make test` and `make unit` (so CI) set this: there, missing specs fail the tests that
# read them instead of skipping them while the run still passes.
REQUIRE_SPECS = "BERTH_REQUIRE_SPECS"


def spec_text(path: Path) -> str:
    """The text of a spec file. When the specs are not checked out, the calling test fails
    if BERTH_REQUIRE_SPECS=1 and is skipped otherwise (a checkout without them)."""
    if not path.is_file():
        if os.environ.get(REQUIRE_SPECS) == "1":
            pytest.fail(f"{path} is not available and {REQUIRE_SPECS}=1")
        pytest.skip(f"{path} is not available")
    return path.read_text(encoding="utf-8")
