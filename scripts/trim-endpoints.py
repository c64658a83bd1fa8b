"""Write chalicelib/awsdata/endpoints.json: botocore's endpoint data for the services Berth
calls only. botocore parses its whole 1.2 MB endpoints.json when the first client is made,
which costs a Lambda cold start about a hundred milliseconds; botocore reads a file of the
same name from AWS_DATA_PATH first, which the deployed function's environment sets
(.chalice/config.json; berth.infra.runtime_environment locally). Only the runtime gets it:
moto reads the same data to know each service's regions. tests/unit/test_awsdata.py checks
the file is current."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import botocore

SERVICES = {"dynamodb", "kms", "s3", "sts"}
TARGET = Path(__file__).resolve().parent.parent / "chalicelib" / "awsdata" / "endpoints.json"


def trimmed() -> dict[str, Any]:
    source = Path(botocore.__file__).parent / "data" / "endpoints.json"
    data: dict[str, Any] = json.loads(source.read_text())
    for partition in data["partitions"]:
        partition["services"] = {
            name: value for name, value in partition["services"].items() if name in SERVICES
        }
    return data


def render() -> str:
    return json.dumps(trimmed(), separators=(",", ":"), sort_keys=True) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render())
    sys.stdout.write(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)\n")
