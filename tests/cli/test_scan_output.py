"""`berth scan`'s first line: against an empty advisory database "0 findings" says nothing
about the image, so the line says the database is empty (tried as a user: a scan before
`berth vulndb import` read as a clean image)."""

from __future__ import annotations

from typing import Any

from berth.commands.scan_output import summary_line


def _document(updated: str | None) -> dict[str, Any]:
    return {
        "imageScanStatus": {"status": "COMPLETE", "description": ""},
        "imageScanFindings": {
            "vulnerabilitySourceUpdatedAt": updated,
            "findingSeverityCounts": {},
            "findings": [],
        },
        "os": "Debian GNU/Linux 12 (bookworm)",
        "packageCount": 770,
    }


def test_an_empty_advisory_database_is_said() -> None:
    line = summary_line("demo/app:1.0", _document(None))
    assert line.startswith("demo/app:1.0 (Debian GNU/Linux 12 (bookworm), 770 packages): 0 ")
    assert "the advisory database is empty" in line and "berth vulndb import" in line


def test_a_clean_image_against_advisories_says_only_that() -> None:
    line = summary_line("demo/app:1.0", _document("2026-12-05T00:03:07+00:00"))
    assert line.endswith("0 findings: none")
