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


def test_a_query_reads_only_its_partition_and_answers_as_before(ddb: Any, pk: str) -> None:
    """`indexed_queries`: the same pages, order and conditions, without touching the rest."""
    from moto.dynamodb.models.table import Table

    table = os.environ["BERTH_TABLE"]
    for sk in ("M#b", "T#a", "M#a", "B#c", "M#c"):
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": sk}})
    ddb.put_item(TableName=table, Item={"pk": {"S": pk + "-other"}, "sk": {"S": "M#z"}})

    def every_item(self: Any) -> Any:
        raise AssertionError("the whole table was read for a Query")

    original = Table.all_items
    Table.all_items = every_item  # type: ignore[method-assign]
    try:
        first = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":m": {"S": "M#"}},
            Limit=2,
        )
        rest = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":m": {"S": "M#"}},
            ExclusiveStartKey=first["LastEvaluatedKey"],
        )
        backwards = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ScanIndexForward=False,
        )
        nothing = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk + "-absent"}},
        )
    finally:
        Table.all_items = original  # type: ignore[method-assign]
    assert [i["sk"]["S"] for i in first["Items"]] == ["M#a", "M#b"]
    assert [i["sk"]["S"] for i in rest["Items"]] == ["M#c"]
    assert [i["sk"]["S"] for i in backwards["Items"]] == ["T#a", "M#c", "M#b", "M#a", "B#c"]
    assert nothing["Items"] == []
