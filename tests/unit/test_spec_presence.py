"""The spec-reading tests cannot pass silently where the specs are required (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.spec import REQUIRE_SPECS, spec_text


def test_missing_specs_fail_when_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_SPECS, "1")
    with pytest.raises(pytest.fail.Exception, match="not available"):
        spec_text(tmp_path / "absent.md")


def test_missing_specs_skip_when_not_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REQUIRE_SPECS, raising=False)
    with pytest.raises(pytest.skip.Exception):
        spec_text(tmp_path / "absent.md")
