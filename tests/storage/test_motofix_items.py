"""`berth.motofix.plain_item_answers`: moto answers GetItem with the same bytes as its
model-driven serializer, for any item (every attribute type, nested maps and lists, binary
values), and the client reads back exactly what it put; with or without consumed capacity,
as pynamodb asks for it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any, Literal

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core.responses import ActionResult, BaseResponse
from moto.dynamodb.responses import DynamoHandler

from berth.motofix import plain_item_answers

Capacity = Literal["NONE", "TOTAL", "INDEXES"]
CAPACITY: list[Capacity] = ["NONE", "TOTAL", "INDEXES"]
_text = st.text(min_size=1, max_size=8)
_number = st.integers(-(10**12), 10**12).map(str)
_binary = st.binary(min_size=1, max_size=8)
_scalar = st.one_of(
    _text.map(lambda v: {"S": v}),
    _number.map(lambda v: {"N": v}),
    _binary.map(lambda v: {"B": v}),
    st.booleans().map(lambda v: {"BOOL": v}),
    st.just({"NULL": True}),
    st.sets(_text, min_size=1, max_size=3).map(lambda v: {"SS": sorted(v)}),
    st.sets(_number, min_size=1, max_size=3).map(lambda v: {"NS": sorted(v)}),
    st.sets(_binary, min_size=1, max_size=3).map(lambda v: {"BS": sorted(v)}),
)
_value = st.recursive(
    _scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda v: {"L": v}),
        st.dictionaries(_text, inner, max_size=3).map(lambda v: {"M": v}),
    ),
    max_leaves=8,
)
_attributes = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=4).filter(lambda k: k not in ("pk", "sk")),
    _value,
    max_size=5,
)


@pytest.fixture
def compared(aws: dict[str, str]) -> Iterator[list[tuple[str, str]]]:
    """Every GetItem answer's body beside the one moto's own serializer gives."""
    plain_item_answers()
    plain = DynamoHandler.serialized
    seen: list[tuple[str, str]] = []

    def both(self: Any, action_result: Any) -> Any:
        answer = plain(self, action_result)
        if self._get_action() == "GetItem":
            seen.append((str(answer[2]), str(BaseResponse.serialized(self, action_result)[2])))
        return answer

    DynamoHandler.serialized = both  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        DynamoHandler.serialized = plain  # type: ignore[method-assign]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(attributes=_attributes, capacity=st.sampled_from(CAPACITY))
def test_get_item_answers_the_serializers_bytes(
    compared: list[tuple[str, str]], attributes: dict[str, Any], capacity: Capacity
) -> None:
    ddb = boto3.client("dynamodb")
    table = os.environ["BERTH_TABLE"]
    key = {"pk": {"S": f"TEST#{uuid.uuid4().hex}"}, "sk": {"S": "item"}}
    item = {**key, **attributes}
    ddb.put_item(TableName=table, Item=item)
    compared.clear()
    found = ddb.get_item(TableName=table, Key=key, ReturnConsumedCapacity=capacity)
    assert found["Item"] == item
    assert ("ConsumedCapacity" in found) is (capacity != "NONE")
    missing = ddb.get_item(
        TableName=table, Key={**key, "sk": {"S": "absent"}}, ReturnConsumedCapacity=capacity
    )
    assert "Item" not in missing
    assert len(compared) == 2
    for plain, serializer in compared:
        assert plain == serializer


def test_what_pynamodb_asks_is_answered_plainly(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pull path's GetItem (pynamodb asks for the consumed capacity) never reaches moto's
    serializer: that walk is the cost this removes."""
    plain_item_answers()
    ddb = boto3.client("dynamodb")
    key = {"pk": {"S": f"TEST#{uuid.uuid4().hex}"}, "sk": {"S": "item"}, "n": {"N": "7"}}
    ddb.put_item(TableName=os.environ["BERTH_TABLE"], Item=key)

    def walked(*_: object) -> None:
        raise AssertionError("GetItem went through moto's serializer")

    monkeypatch.setattr(ActionResult, "execute_result", walked)
    found = ddb.get_item(
        TableName=os.environ["BERTH_TABLE"],
        Key={"pk": key["pk"], "sk": key["sk"]},
        ReturnConsumedCapacity="TOTAL",
    )
    assert found["Item"] == key and found["ConsumedCapacity"]["CapacityUnits"] > 0
