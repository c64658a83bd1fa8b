"""The inventory a scan report stores (chalicelib/scanning/stored_inventory.py) comes back
exactly, through JSON, so a rescan matches the same packages a full scan would; a document of
another format or a damaged one is not reused (the layers are read again)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.scanning.inventory import Inventory
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.package import Package
from chalicelib.scanning.stored_inventory import FORMAT, inventory_document, inventory_from

text = st.text(max_size=20)
packages = st.builds(
    Package,
    kind=st.sampled_from(["deb", "apk", "rpm", "pypi", "npm", "golang", "maven", "cargo"]),
    name=text,
    version=text,
    purl=text,
    path=text,
    source_name=text,
    source_version=text,
    arch=text,
    license=text,
)
inventories = st.builds(
    Inventory,
    os=st.one_of(
        st.none(),
        st.builds(OsRelease, id=text, version_id=text, pretty_name=text, id_like=st.tuples(text)),
    ),
    packages=st.lists(packages, max_size=10),
    problems=st.lists(text, max_size=3),
)


@given(inventories)
def test_an_inventory_comes_back_through_json(inventory: Inventory) -> None:
    document = json.loads(json.dumps(inventory_document(inventory)))
    assert inventory_from(document) == inventory


@given(inventories)
def test_another_format_or_damage_is_not_reused(inventory: Inventory) -> None:
    document = inventory_document(inventory)
    assert inventory_from({**document, "format": FORMAT + 1}) is None
    assert inventory_from({**document, "packages": [{"name": 1}]}) is None
    assert inventory_from({**document, "os": {"id": "debian"}}) is None
    assert inventory_from(None) is None
    assert inventory_from([document]) is None
