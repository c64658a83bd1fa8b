"""Results: every measurement returns a Section; the report is a JSON file and a text table."""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Verdict = Literal["PASS", "FAIL", "ERROR", ""]


@dataclass(slots=True)
class Row:
    """One line of the table: a value, what it is compared with, and the target's verdict."""

    metric: str
    value: str
    baseline: str = ""  # what the value is compared with, measured in the same run
    ratio: str = ""  # value / baseline
    target: str = ""
    verdict: Verdict = ""


@dataclass(slots=True)
class Section:
    """One measurement: measured (rows and data) or not measured (and why)."""

    name: str
    title: str
    measured: bool = True
    reason: str = ""  # why it was not measured
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def skipped(cls, name: str, title: str, reason: str) -> Section:
        return cls(name=name, title=title, measured=False, reason=reason)


def verdict(ok: bool) -> Verdict:
    return "PASS" if ok else "FAIL"


def to_json(sections: list[Section], *, quick: bool, seconds: float) -> dict[str, Any]:
    return {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": quick,
        "duration_s": round(seconds, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "sections": {
            s.name: {
                "title": s.title,
                "status": "measured" if s.measured else "not measured",
                "reason": s.reason or None,
                "rows": [asdict(r) for r in s.rows],
                "notes": s.notes,
                "data": s.data,
            }
            for s in sections
        },
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")


_COLUMNS = ("metric", "value", "baseline", "ratio", "target", "verdict")


def render(sections: list[Section]) -> str:
    """A plain-text table per section."""
    out: list[str] = []
    for section in sections:
        out.append("")
        out.append(f"== {section.title}")
        if not section.measured:
            out.append(f"   not measured: {section.reason}")
            continue
        cells = [[getattr(row, c) for c in _COLUMNS] for row in section.rows]
        widths = [
            max(len(c), *(len(line[i]) for line in cells)) if cells else len(c)
            for i, c in enumerate(_COLUMNS)
        ]
        out.append("   " + "  ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True)))
        out.append("   " + "  ".join("-" * w for w in widths))
        for line in cells:
            out.append("   " + "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)))
        out.extend(f"   note: {note}" for note in section.notes)
    failed = [
        f"{s.title}: {r.metric}" for s in sections for r in s.rows if r.verdict in ("FAIL", "ERROR")
    ]
    skipped = [s.title for s in sections if not s.measured]
    out.append("")
    out.append(f"targets missed: {len(failed)}" + (" — " + "; ".join(failed) if failed else ""))
    if skipped:
        out.append("not measured: " + "; ".join(skipped))
    return "\n".join(out)
