"""CycloneDX documents (chalicelib/scanning/cyclonedx.py) validate against the published 1.6
schema (with its SPDX and JSF companions) and say what the scan found."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource

from chalicelib.scanning.cyclonedx import sbom, vulnerability_report
from tests.scanning.advisories import DEBIAN_ADVISORIES, LANGUAGE_ADVISORIES
from tests.scanning.test_matching import debian_image, scan
from tests.unit.spec import SPEC_DIR, spec_text

SCHEMAS = ("bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json")
MOMENT = "2026-01-01T00:00:00Z"
DIGEST = "sha256:" + "ab" * 32


def validator() -> Draft7Validator:
    documents = {name: json.loads(spec_text(SPEC_DIR / "cyclonedx" / name)) for name in SCHEMAS}
    registry: Registry[Any] = Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents.values()
    )
    return Draft7Validator(documents["bom-1.6.schema.json"], registry=registry)


def assert_valid(document: dict[str, Any]) -> None:
    errors = sorted(validator().iter_errors(document), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_sbom_lists_every_package_with_its_purl() -> None:
    inventory = debian_image()
    document = sbom("example/app", DIGEST, inventory, MOMENT)
    assert_valid(document)
    assert document["specVersion"] == "1.6"
    assert document["metadata"]["component"]["version"] == DIGEST
    kinds = [c["type"] for c in document["components"]]
    assert kinds[0] == "operating-system" and kinds.count("library") == 7
    assert {c.get("purl") for c in document["components"][1:]} == {
        p.purl for p in inventory.packages
    }


def test_vulnerability_report_points_at_sbom_components() -> None:
    inventory = debian_image()
    result, _ = scan(inventory, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    document = vulnerability_report("example/app", DIGEST, result.findings, MOMENT)
    assert_valid(document)
    by_id = {v["id"]: v for v in document["vulnerabilities"]}
    assert len(by_id) == 6  # DSA-5585-1 affects two binaries of one source: one entry
    assert [a["ref"] for a in by_id["DSA-5585-1"]["affects"]] == [
        p.purl for p in inventory.packages if p.name in ("libssl3", "openssl")
    ]
    assert by_id["DEBIAN-CVE-2023-45853"]["ratings"] == [
        {"severity": "critical", "score": 9.8, "method": "CVSSv31"}
    ]
    assert by_id["DSA-5585-1"]["ratings"] == [{"severity": "unknown"}]
    assert by_id["GHSA-h5c8-rqwp-cp95"]["recommendation"] == "upgrade to 3.1.3 or later"
