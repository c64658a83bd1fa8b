"""The stored scan report and its ECR-shaped rendering (DescribeImageScanFindings: findings
with name, severity, uri, package attributes; severity counts), so tools written for ECR read
Berth's findings with little change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from chalicelib.scanning.finding import Finding
from chalicelib.scanning.inventory import Inventory
from chalicelib.scanning.severity import LEVELS, UNKNOWN


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counted = Counter(f.severity for f in findings)
    return {level: counted[level] for level in (*reversed(LEVELS), UNKNOWN) if counted[level]}


def report_document(
    digest: str,
    inventory: Inventory,
    findings: list[Finding],
    problems: list[str],
    platforms: list[str],
    scanned_at: str,
    database: dict[str, Any],
) -> dict[str, Any]:
    return {
        "digest": digest,
        "scannedAt": scanned_at,
        "platforms": platforms,
        "os": inventory.os.pretty_name or inventory.os.distro if inventory.os else None,
        "database": database,
        "counts": severity_counts(findings),
        "findings": [f.to_json() for f in findings],
        "packages": [
            {"name": p.name, "version": p.version, "purl": p.purl, "path": p.path, "kind": p.kind}
            for p in inventory.packages
        ],
        "problems": problems[:100],
    }


def _attributes(finding: dict[str, Any]) -> list[dict[str, str]]:
    pairs = [
        ("package_name", finding["package"]),
        ("package_version", finding["installed_version"]),
        ("fixed_version", finding["fixed_version"]),
        ("purl", finding["purl"]),
        ("path", finding["path"]),
        ("ecosystem", finding["ecosystem"]),
        ("aliases", ",".join(finding.get("aliases") or [])),
    ]
    if finding.get("cvss_score") is not None:
        pairs.append(("CVSS3_SCORE", str(finding["cvss_score"])))
    return [{"key": key, "value": value} for key, value in pairs if value]


def ecr_finding(finding: dict[str, Any]) -> dict[str, Any]:
    links = finding.get("links") or []
    return {
        "name": finding["id"],
        "description": finding.get("summary", ""),
        "uri": links[0] if links else "",
        "severity": finding["severity"],
        "attributes": _attributes(finding),
        # Berth's flat fields beside ECR's attribute list, for readers that want them plain.
        "package": finding["package"],
        "installedVersion": finding["installed_version"],
        "fixedVersion": finding["fixed_version"],
        "links": links,
    }


def ecr_document(
    repository: str,
    digest: str,
    status: str,
    description: str | None,
    report: dict[str, Any] | None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "repositoryName": repository,
        "imageId": {"imageDigest": digest},
        "imageScanStatus": {"status": status, "description": description or ""},
    }
    if report is not None:
        document["imageScanFindings"] = {
            "imageScanCompletedAt": report["scannedAt"],
            "vulnerabilitySourceUpdatedAt": (report.get("database") or {}).get("updatedAt"),
            "findingSeverityCounts": report["counts"],
            "findings": [ecr_finding(f) for f in report["findings"]],
        }
        document["os"] = report.get("os")
        document["platforms"] = report.get("platforms", [])
        document["packageCount"] = len(report.get("packages", []))
        # Packages no advisory source covers (coverage.py): "0 findings" is not "clean" there.
        document["notCovered"] = report.get("notCovered", [])
        # Against which advisory database (its version and when it last changed).
        document["database"] = report.get("database") or {}
        # What the scan read from S3, and what it took from earlier scans instead.
        document["read"] = {key: report[key] for key in READ_FIGURES if key in report}
    return document


READ_FIGURES = (
    "bytesRead",
    "layerBytesRead",
    "layersRead",
    "layersReadByRange",
    "layersReused",
    "inventoryReused",
)
