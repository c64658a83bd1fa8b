"""Immutable tags: once a tag exists it may not move or go, unless a pattern excludes it.

Patterns are shell globs (`latest`, `dev-*`, `*-rc?`) matched against the whole tag, case
sensitive, as tags are."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from chalicelib.oci.errors import OCIError

MAX_PATTERNS = 50
# Tag characters plus the glob ones.
_PATTERN = re.compile(r"[A-Za-z0-9_.\-*?\[\]!]{1,128}")
RULE_NAME = "immutable-tags"
# The rollback window: lifecycle keeps every manifest a tag's last N moves came from, so
# `berth rollback` can go back N steps (chalicelib/lifecycle/policy.py: rollback_window).
DEFAULT_ROLLBACK_WINDOW = 10
MAX_ROLLBACK_WINDOW = 1000


@dataclass(frozen=True, slots=True)
class TagRules:
    """A repository's tag rules; `version` is the stored version they were read at (0: none)."""

    immutable: bool = False
    exclude: tuple[str, ...] = field(default_factory=tuple)
    version: int = 0
    rollback_window: int = DEFAULT_ROLLBACK_WINDOW

    def is_immutable(self, tag: str) -> bool:
        return self.immutable and not any(fnmatchcase(tag, p) for p in self.exclude)

    def refusal(self, repo: str, tag: str, verb: str) -> str | None:
        """Why an existing tag may not be `verb`ed, naming the rule (storage refuses with it,
        the API answers DENIED); None when it may."""
        if not self.is_immutable(tag):
            return None
        rule = "all tags are immutable"
        if self.exclude:
            rule += f" except those matching {', '.join(self.exclude)}"
        return (
            f"cannot {verb} tag {tag!r}: repository {repo} has rule {RULE_NAME} "
            f"({rule}); push a new tag instead"
        )

    def refusal_detail(self, tag: str) -> dict[str, Any]:
        """The refusal's structured detail: the rule, the tag, the exclusions."""
        return {"rule": RULE_NAME, "tag": tag, "exclude": list(self.exclude)}

    def document(self) -> dict[str, Any]:
        return {
            "immutableTags": self.immutable,
            "immutableTagsExclude": list(self.exclude),
            "rollbackWindow": self.rollback_window,
            "version": self.version,
        }


def parse_settings(document: Any) -> tuple[bool, tuple[str, ...]]:
    """Validate a settings document `{"immutableTags": bool, "immutableTagsExclude": [...]}`."""
    if not isinstance(document, dict):
        raise OCIError("UNSUPPORTED", "settings must be a JSON object", status=400)
    # `name` and `version` are what GET adds: a GET answer can be PUT back.
    known = {"immutableTags", "immutableTagsExclude", "rollbackWindow", "name", "version"}
    unknown = sorted(set(document) - known)
    if unknown:
        raise OCIError("UNSUPPORTED", f"unknown settings: {', '.join(unknown)}", status=400)
    immutable = document.get("immutableTags", False)
    if not isinstance(immutable, bool):
        raise OCIError("UNSUPPORTED", "immutableTags must be true or false", status=400)
    patterns = document.get("immutableTagsExclude", [])
    if not isinstance(patterns, list) or len(patterns) > MAX_PATTERNS:
        raise OCIError(
            "UNSUPPORTED", f"immutableTagsExclude must be a list of <= {MAX_PATTERNS}", status=400
        )
    for pattern in patterns:
        if not isinstance(pattern, str) or not _PATTERN.fullmatch(pattern):
            raise OCIError(
                "UNSUPPORTED",
                f"exclusion pattern {str(pattern)[:200]!r} is not a glob over tag characters",
                status=400,
            )
    return immutable, tuple(dict.fromkeys(patterns))


def parse_rollback_window(document: dict[str, Any]) -> int | None:
    """`rollbackWindow` of a settings document (None when absent: the stored value stays)."""
    value = document.get("rollbackWindow")
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= MAX_ROLLBACK_WINDOW
    ):
        raise OCIError(
            "UNSUPPORTED",
            f"rollbackWindow must be a whole number of tag moves from 0 to {MAX_ROLLBACK_WINDOW}",
            status=400,
        )
    return value
