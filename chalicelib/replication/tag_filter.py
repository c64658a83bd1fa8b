"""Which tags a rule replicates: globs (`*`, `?`, `[...]`) to include, then to exclude.

Pure, and case-sensitive like tags themselves. An untagged push (a digest only) is
replicated only when the rule has no include list narrower than `*`: a rule for `v*`
means releases, not every digest pushed on the way."""

from __future__ import annotations

import fnmatch
import re

MAX_GLOBS = 20
_GLOB = re.compile(r"[A-Za-z0-9_.\-*?\[\]!]{1,128}")


class TagFilterError(ValueError):
    pass


def check(globs: list[str]) -> list[str]:
    if len(globs) > MAX_GLOBS:
        raise TagFilterError(f"at most {MAX_GLOBS} tag globs")
    for glob in globs:
        if not isinstance(glob, str) or _GLOB.fullmatch(glob) is None:
            raise TagFilterError(f"{str(glob)[:80]!r} is not a tag glob")
    return globs


def selects(include: list[str], exclude: list[str], tag: str | None) -> bool:
    """Whether the rule replicates `tag` (None: a push by digest only)."""
    if tag is None:
        return not exclude and all(g == "*" for g in include)
    if include and not any(fnmatch.fnmatchcase(tag, g) for g in include):
        return False
    return not any(fnmatch.fnmatchcase(tag, g) for g in exclude)
