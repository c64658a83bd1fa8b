"""Storage: the pynamodb models of the metadata table and the S3 blob store."""

import os
from pathlib import Path

# botocore reads endpoint data from AWS_DATA_PATH before its own copy; ours holds only the
# services Berth calls, which saves a cold start the parsing of the full 1.2 MB file.
_AWS_DATA = str(Path(__file__).resolve().parent.parent / "awsdata")
if _AWS_DATA not in os.environ.get("AWS_DATA_PATH", "").split(os.pathsep):
    os.environ["AWS_DATA_PATH"] = os.pathsep.join(
        p for p in (_AWS_DATA, os.environ.get("AWS_DATA_PATH")) if p
    )
