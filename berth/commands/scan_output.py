"""How `berth scan` prints findings: a table a person takes in at a glance (worst first, one
line of counts on top), or SARIF 2.1.0 for code-scanning dashboards."""

from __future__ import annotations

from typing import Any

from berth.commands.common import table_lines

# SARIF levels and GitHub's `security-severity` number for each severity.
_SARIF = {
    "CRITICAL": ("error", "9.5"),
    "HIGH": ("error", "8.0"),
    "MEDIUM": ("warning", "5.5"),
    "LOW": ("note", "2.0"),
    "INFORMATIONAL": ("note", "0.0"),
    "UNKNOWN": ("warning", "5.0"),
}


def summary_line(reference: str, document: dict[str, Any]) -> str:
    status = document["imageScanStatus"]
    if status["status"] != "COMPLETE":
        return f"{reference}: {status['status']} {status.get('description', '')}".rstrip()
    findings = document["imageScanFindings"]
    counts = findings["findingSeverityCounts"]
    counted = ", ".join(f"{n} {level}" for level, n in counts.items()) or "none"
    line = (
        f"{reference} ({document.get('os') or 'unknown OS'}, {document.get('packageCount', 0)} "
        f"packages): {len(findings['findings'])} findings: {counted}"
    )
    if not findings.get("vulnerabilitySourceUpdatedAt"):
        # "0 findings" against no advisories says nothing about the image.
        line += " (the advisory database is empty: load it with `berth vulndb import`)"
    return line


def scanned_line(document: dict[str, Any]) -> str | None:
    """When the shown scan ran and against which advisory database: a stored result may
    predate advisories loaded since (`--rescan` asks for a fresh one)."""
    when = document.get("scannedAt")
    if not when:
        return None
    if "database" not in document:  # a FAILED scan matched nothing
        return f"scanned {when}"
    database = document["database"] or {}
    if not database.get("updatedAt"):
        against = "an empty advisory database"
    else:
        version = database.get("version", 0)
        against = f"the advisory database of {database['updatedAt']} (version {version})"
    return f"scanned {when} against {against}"


def table(reference: str, document: dict[str, Any]) -> list[str]:
    lines = [summary_line(reference, document)]
    scanned = scanned_line(document)
    if scanned is not None:
        lines.append(scanned)
    # Right under the counts: "0 findings" for packages no advisory source covers is not clean.
    lines.extend(document.get("notCovered") or [])
    findings = (document.get("imageScanFindings") or {}).get("findings") or []
    if findings:
        rows = [
            [
                f["severity"],
                f["name"],
                f["package"],
                f["installedVersion"],
                f["fixedVersion"] or "-",
            ]
            for f in findings
        ]
        lines.extend(table_lines(["SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED"], rows))
    return lines


def sarif(reference: str, document: dict[str, Any]) -> dict[str, Any]:
    findings = (document.get("imageScanFindings") or {}).get("findings") or []
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in findings:
        level, score = _SARIF.get(f["severity"], ("warning", "5.0"))
        rules.setdefault(
            f["name"],
            {
                "id": f["name"],
                "shortDescription": {"text": f.get("description") or f["name"]},
                **({"helpUri": f["uri"]} if f.get("uri") else {}),
                "properties": {"security-severity": score, "tags": ["security"]},
            },
        )
        path = next((a["value"] for a in f["attributes"] if a["key"] == "path"), reference)
        fixed = f" (fixed in {f['fixedVersion']})" if f["fixedVersion"] else ""
        results.append(
            {
                "ruleId": f["name"],
                "level": level,
                "message": {
                    "text": f"{f['package']} {f['installedVersion']} is affected by "
                    f"{f['name']}{fixed}"
                },
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": path}}}],
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "berth", "rules": list(rules.values())}},
                "results": results,
                "properties": {"image": reference, "digest": document["imageId"]["imageDigest"]},
            }
        ],
    }
