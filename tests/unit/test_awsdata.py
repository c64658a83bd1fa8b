"""The trimmed botocore endpoint data shipped with the runtime matches installed botocore."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_trimmed_endpoints_are_current() -> None:
    spec = importlib.util.spec_from_file_location("trim", ROOT / "scripts" / "trim-endpoints.py")
    assert spec is not None and spec.loader is not None
    trim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trim)
    shipped = (ROOT / "chalicelib" / "awsdata" / "endpoints.json").read_text()
    assert shipped == trim.render(), "run: .venv/bin/python scripts/trim-endpoints.py"


def test_storage_puts_the_trimmed_data_first_on_botocores_path() -> None:
    import chalicelib.storage  # noqa: F401

    first = os.environ["AWS_DATA_PATH"].split(os.pathsep)[0]
    assert Path(first) == ROOT / "chalicelib" / "awsdata"
    assert (Path(first) / "endpoints.json").is_file()
