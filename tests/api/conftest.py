"""Keep moto's table small between test modules.

moto copies every table on each TransactWriteItems (to roll back), so a manifest push costs
time in proportion to everything earlier tests stored in the same process. No test depends on
another's data (each uses its own `repo`), so the items are dropped after each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _empty_table_after_test(aws: dict[str, str]) -> Iterator[None]:
    yield
    import boto3

    table: Any = boto3.resource("dynamodb").Table(aws["TableName"])
    keys = [k["AttributeName"] for k in table.key_schema]
    scan_args: dict[str, Any] = {
        "ProjectionExpression": ", ".join(f"#k{i}" for i in range(len(keys))),
        "ExpressionAttributeNames": {f"#k{i}": key for i, key in enumerate(keys)},
    }
    with table.batch_writer() as batch:
        while True:
            page = table.scan(**scan_args)
            for item in page["Items"]:
                batch.delete_item(Key={key: item[key] for key in keys})
            if "LastEvaluatedKey" not in page:
                break
            scan_args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
