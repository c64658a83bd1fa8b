"""The one shape of every rule-making `add` (webhook, replicate, cache): what it watches is
`--repository PATTERN`, where it reaches is `--to URL` (or, for the cache, `--from URL`).
A user trial found `webhook add URL --repository P` beside `replicate add REPOSITORY --to
URL`; the older positional spellings still work, so a value may come from either place."""

from __future__ import annotations

import sys


def either(command: str, given: str | None, named: str | None, flag: str, what: str) -> str | None:
    """The value given positionally (`given`) or by `flag` (`named`), else None after saying
    what was missing or doubled on stderr (the caller exits 2, as argparse does)."""
    if given is not None and named is not None and given != named:
        print(f"berth {command}: {what} given twice ({given!r} and {flag} {named!r})",
              file=sys.stderr)  # fmt: skip
        return None
    value = named if named is not None else given
    if value is None:
        print(f"berth {command}: give {flag} {what}", file=sys.stderr)
    return value
