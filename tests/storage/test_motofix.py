"""`berth.motofix.cheap_transactions`: moto's TransactWriteItems stays all-or-nothing while
undoing by item instead of deep-copying whole tables."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def ddb(aws: dict[str, str]) -> Any:
    return boto3.client("dynamodb")


@pytest.fixture
def pk() -> str:
    return f"TEST#{uuid.uuid4().hex}"


def _item(ddb: Any, pk: str, sk: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = ddb.get_item(
        TableName=os.environ["BERTH_TABLE"], Key={"pk": {"S": pk}, "sk": {"S": sk}}
    ).get("Item")
    return found


@pytest.fixture
def tables_uncopyable() -> Iterator[None]:
    """Fail the test if moto deep-copies a table."""
    from moto.dynamodb.models.table import Table

    def refuse(self: Any, memo: Any) -> Any:
        raise AssertionError("a whole table was deep-copied")

    Table.__deepcopy__ = refuse  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del Table.__deepcopy__  # type: ignore[attr-defined]


def test_a_cancelled_transaction_leaves_every_item_as_it_was(
    ddb: Any, pk: str, tables_uncopyable: None
) -> None:
    table = os.environ["BERTH_TABLE"]

    def key(sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    ddb.put_item(TableName=table, Item={**key("updated"), "n": {"N": "1"}})
    ddb.put_item(TableName=table, Item={**key("deleted"), "n": {"N": "2"}})
    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**key("new"), "n": {"N": "3"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": key("updated"),
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "10"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": key("deleted")}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": key("absent"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert _item(ddb, pk, "new") is None
    assert _item(ddb, pk, "updated") == {**key("updated"), "n": {"N": "1"}}
    assert _item(ddb, pk, "deleted") == {**key("deleted"), "n": {"N": "2"}}


def test_a_committed_transaction_writes_without_copying_tables(
    ddb: Any, pk: str, tables_uncopyable: None
) -> None:
    table = os.environ["BERTH_TABLE"]
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"S": s}}}}
            for s in ("a", "b")
        ]
    )
    assert _item(ddb, pk, "a") is not None
    assert _item(ddb, pk, "b") is not None
