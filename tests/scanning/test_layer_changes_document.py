"""A layer's stored changes (chalicelib/scanning/layer_changes_document.py) come back exactly,
so a stored layer stacks like a freshly read one; a document of another format or a damaged
one is not used (the layer is read again)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.scanning.layer_changes import LayerChanges
from chalicelib.scanning.layer_changes_document import decode, encode

paths = st.text(min_size=1, max_size=30)
changes = st.builds(
    LayerChanges,
    files=st.dictionaries(paths, st.binary(max_size=200), max_size=6),
    deleted=st.sets(paths, max_size=4),
    opaque=st.sets(st.text(max_size=30), max_size=3),
    skipped=st.lists(paths, max_size=3),
    problems=st.lists(st.text(max_size=40), max_size=3),
)


@given(changes)
def test_round_trip(layer: LayerChanges) -> None:
    assert decode(encode(layer, 3), 3) == layer


@given(changes)
def test_another_format_is_not_used(layer: LayerChanges) -> None:
    assert decode(encode(layer, 2), 3) is None


@given(st.binary(max_size=300))
def test_damaged_bytes_are_not_used(data: bytes) -> None:
    assert decode(data, 1) is None
    whole = encode(LayerChanges(files={"a": data}), 1)
    assert decode(whole[: len(data) % len(whole)], 1) is None  # cut short


def test_a_wrong_shape_is_not_used() -> None:
    import json
    import zlib

    documents: list[object] = [
        [],
        {"format": 1},
        {"format": 1, "files": [], "deleted": [], "opaque": [], "skipped": [], "problems": []},
        {
            "format": 1,
            "files": {"a": "!!"},
            "deleted": [],
            "opaque": [],
            "skipped": [],
            "problems": [],
        },
        {"format": 1, "files": {}, "deleted": [1], "opaque": [], "skipped": [], "problems": []},
    ]
    for document in documents:
        assert decode(zlib.compress(json.dumps(document).encode()), 1) is None
