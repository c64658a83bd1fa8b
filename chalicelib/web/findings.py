"""The image page's scan section: severity counts and a findings table the browser sorts
(static/berth.js, by a cell's `data-sort` value: severities sort by rank, not by name).

Read only when the image's referrers include a document the scanner attached (the page reads
the referrers anyway), so an image never scanned costs nothing more; a scanned one costs 1
GetItem (the result) and 1 S3 GET (the report)."""

from __future__ import annotations

from typing import Any

from chalicelib.oci.digest import Digest
from chalicelib.web.html import e

ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNKNOWN")
MAX_FINDINGS = 2000


def scanned(referrers: list[dict[str, Any]]) -> bool:
    from chalicelib.scanning.referrer_manifest import PRODUCER

    return any(PRODUCER in (r.get("annotations") or {}) for r in referrers)


def section(digest: Digest) -> str:
    from chalicelib.storage import scan_results

    stored = scan_results.get(digest)
    if stored is None:
        return ""
    if stored.status != "COMPLETE":
        return f'<h2>Scan</h2><p class="error">{e(stored.description or stored.status)}</p>'
    report = scan_results.report(stored) or {}
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)][:MAX_FINDINGS]
    counts = "".join(
        f'<span class="badge sev-{level.lower()}">{e(level.lower())} {stored.counts[level]}</span> '
        for level in ORDER
        if stored.counts.get(level)
    )
    scanned_at = stored.scanned_at.strftime("%Y-%m-%d %H:%M")
    database = _minute(stored.database_updated_at)
    head = (
        f'<h2>Scan</h2><p id="severity-counts">{counts or "no known vulnerability"}'
        f" · scanned {e(scanned_at)} UTC"
        + (f", advisories of {e(database)} UTC" if database else "")
        + "</p>"
        + "".join(f'<p class="not-covered">{e(line)}</p>' for line in _not_covered(report))
    )
    if not findings:
        return head
    rows = "".join(_row(f) for f in findings)
    header = "".join(
        f'<th><button type="button" class="sort" data-column="{i}">{e(name)}</button></th>'
        for i, name in enumerate(
            ("Severity", "Vulnerability", "Package", "Installed", "Fixed in", "CVSS")
        )
    )
    return (
        head
        + f'<table id="findings" class="sortable"><thead><tr>{header}</tr></thead>'
        + f"<tbody>{rows}</tbody></table>"
    )


def _not_covered(report: dict[str, Any]) -> list[str]:
    """The scan's packages no advisory source covers (chalicelib/scanning/coverage.py)."""
    lines = report.get("notCovered")
    return [str(line) for line in lines] if isinstance(lines, list) else []


def _row(finding: dict[str, Any]) -> str:
    severity = str(finding.get("severity") or "UNKNOWN")
    rank = ORDER.index(severity) if severity in ORDER else len(ORDER)
    links = finding.get("links") or []
    ident = e(finding.get("id", "-"))
    name = (
        f'<a href="{e(links[0])}" rel="noreferrer noopener">{ident}</a>'
        if links and str(links[0]).startswith(("https://", "http://"))
        else ident
    )
    score = finding.get("cvss_score")
    cells = [
        (f'<span class="badge sev-{e(severity.lower())}">{e(severity.lower())}</span>', rank),
        (name, str(finding.get("id", ""))),
        (e(finding.get("package", "-")), str(finding.get("package", ""))),
        (e(finding.get("installed_version", "-")), ""),
        (e(finding.get("fixed_version") or "-"), ""),
        (e(score if score is not None else "-"), float(score) if score is not None else -1.0),
    ]
    return (
        "<tr>"
        + "".join(
            f'<td data-sort="{e(key)}">{html}</td>' if key != "" else f"<td>{html}</td>"
            for html, key in cells
        )
        + "</tr>"
    )


def _minute(stamp: str | None) -> str | None:
    """An ISO time as the page writes every time (`2026-12-04 22:28`, UTC), else as given."""
    if not stamp:
        return None
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M")
