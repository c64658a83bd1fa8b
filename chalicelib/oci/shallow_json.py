"""JSON parsing that refuses deep nesting before the recursive parser ever sees it.

`json.loads` recurses once per `[` or `{`: a body of a few thousand brackets raises
RecursionError (a 500 if nobody expects it), and catching that after the fact leaves the
interpreter near its stack limit. No document a client sends here (manifests, settings,
policies, admin changes, direct-upload parts) nests more than a handful of levels, so a
cheap bracket count outside strings, done with C-speed bytes operations, decides first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

# Far above any real document (a manifest nests 4 levels), far below the interpreter's limit.
MAX_DEPTH = 64

# A JSON string, escapes included (the unrolled form stays linear on long strings).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def within_depth(document: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the brackets outside strings close within `limit` rounds, each of which
    takes away at least the innermost level: any document `limit` levels deep passes, none
    deeper than `2 * limit` does.

    Unbalanced brackets count as too deep: such a body is not JSON anyway, and a parser
    handed one could still recurse into the unclosed part."""
    brackets = _STRING.sub(b"", document).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return True
        # One pass removes every innermost `[]` (then `{}`): a level, two where they alternate.
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if len(shorter) == len(brackets):
            return False
        brackets = shorter
    return not brackets


def loads(
    document: bytes | str,
    *,
    parse_constant: Callable[[str], Any] | None = None,
    limit: int = MAX_DEPTH,
) -> Any:
    """`json.loads`, except that nesting deeper than `limit` raises ValueError like any
    other malformed document."""
    raw = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    if not within_depth(raw, limit):
        raise ValueError(f"JSON nested deeper than {limit} levels, or unbalanced brackets")
    try:
        return json.loads(document, parse_constant=parse_constant)
    except RecursionError:  # unreachable after the check; never a 500 if it were
        raise ValueError(f"JSON nested deeper than {limit} levels") from None
