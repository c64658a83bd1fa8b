"""CycloneDX 1.6 documents for an image: the SBOM (every package found, with its purl) and
the vulnerability report (each finding affecting a component of the SBOM), the standard forms
other tools read when they find them as the image's referrers."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.scanning.finding import Finding
from chalicelib.scanning.inventory import Inventory

SPEC_VERSION = "1.6"
MEDIA_TYPE = "application/vnd.cyclonedx+json"
_SEVERITY = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MEDIUM": "medium",
    "LOW": "low",
    "INFORMATIONAL": "info",
}


def _envelope(subject: str, digest: str, moment: str) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        # Random, as the spec asks: each document is a new BOM.
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": moment,
            "tools": {"components": [{"type": "application", "name": "berth"}]},
            "component": {
                "type": "container",
                "bom-ref": digest,
                "name": subject,
                "version": digest,
            },
        },
    }


def sbom(subject: str, digest: str, inventory: Inventory, moment: str) -> dict[str, Any]:
    document = _envelope(subject, digest, moment)
    components: list[dict[str, Any]] = []
    if inventory.os is not None:
        components.append(
            {
                "type": "operating-system",
                "bom-ref": f"os:{inventory.os.distro}",
                "name": inventory.os.id,
                "version": inventory.os.version_id,
                "description": inventory.os.pretty_name,
            }
        )
    seen: set[str] = set()
    for package in inventory.packages:
        if package.purl in seen:
            continue
        seen.add(package.purl)
        component: dict[str, Any] = {
            "type": "library",
            "bom-ref": package.purl,
            "name": package.name,
            "version": package.version,
            "purl": package.purl,
            "properties": [{"name": "berth:path", "value": package.path}],
        }
        if package.license:
            component["licenses"] = [{"license": {"name": package.license[:200]}}]
        components.append(component)
    document["components"] = components
    return document


def _rating(finding: Finding) -> dict[str, Any]:
    rating: dict[str, Any] = {"severity": _SEVERITY.get(finding.severity, "unknown")}
    if finding.cvss_score is not None:
        rating.update(score=finding.cvss_score, method="CVSSv31")
    return rating


def vulnerability_report(
    subject: str, digest: str, findings: list[Finding], moment: str
) -> dict[str, Any]:
    document = _envelope(subject, digest, moment)
    by_id: dict[str, dict[str, Any]] = {}
    for finding in findings:
        entry = by_id.get(finding.id)
        if entry is None:
            entry = by_id[finding.id] = {
                "bom-ref": finding.id,
                "id": finding.id,
                "source": {"name": "OSV", "url": f"https://osv.dev/vulnerability/{finding.id}"},
                "ratings": [_rating(finding)],
                "description": finding.summary,
                "advisories": [{"url": link} for link in finding.links],
                "affects": [],
            }
            if finding.fixed_version:
                entry["recommendation"] = f"upgrade to {finding.fixed_version} or later"
        if finding.purl not in {a["ref"] for a in entry["affects"]}:
            entry["affects"].append({"ref": finding.purl})
    document["vulnerabilities"] = list(by_id.values())
    return document
