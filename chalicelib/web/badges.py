"""The small verdict badges of the tags table, from what each tag item already carries (its
manifest's signers and scan verdict, copied there for the pull path): no read of their own."""

from __future__ import annotations

from typing import Any

from chalicelib.scanning.scan_verdict import ORDER, decode
from chalicelib.web.html import e


def signature(signers: Any) -> str:
    if signers:
        return '<span class="badge ok">signed</span>'
    return '<span class="badge none">no</span>'


def scan(encoded: str | None) -> str:
    """The worst severity found and how many at it (every level's count in the tooltip);
    "clean" when the scan found nothing; "failed"; "not scanned"."""
    verdict = decode(encoded)
    if verdict is None:
        return '<span class="badge none scan">not scanned</span>'
    when = f"scanned {verdict.scanned_at}" if verdict.scanned_at else "scanned"
    if verdict.status != "COMPLETE":
        return f'<span class="badge bad scan" title="{e(when)}">scan failed</span>'
    worst = verdict.worst
    if worst is None:
        return f'<span class="badge ok scan" title="{e(when)}: no known vulnerability">clean</span>'
    counts = ", ".join(
        f"{level.lower()} {verdict.counts[level]}" for level in ORDER if verdict.counts.get(level)
    )
    return (
        f'<span class="badge sev-{e(worst.lower())} scan" title="{e(when)}: {e(counts)}">'
        f"{e(worst.lower())} {verdict.counts[worst]}</span>"
    )
