"""The trimmed botocore endpoint data shipped with the runtime is current and in use."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_trimmed_endpoints_are_current() -> None:
    spec = importlib.util.spec_from_file_location("trim", ROOT / "scripts" / "trim-endpoints.py")
    assert spec is not None and spec.loader is not None
    trim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trim)
    shipped = (ROOT / "chalicelib" / "awsdata" / "endpoints.json").read_text()
    assert shipped == trim.render(), "run: .venv/bin/python scripts/trim-endpoints.py"


def test_the_deployed_function_and_the_local_server_read_it() -> None:
    from berth.infra import runtime_environment

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    # Lambda unpacks the bundle (app.py beside chalicelib/) in /var/task.
    assert config["environment_variables"]["AWS_DATA_PATH"] == "/var/task/chalicelib/awsdata"
    local = runtime_environment({"TableName": "t", "BucketName": "b"})
    assert Path(local["AWS_DATA_PATH"]) == ROOT / "chalicelib" / "awsdata"
    assert (Path(local["AWS_DATA_PATH"]) / "endpoints.json").is_file()
