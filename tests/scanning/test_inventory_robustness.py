"""Garbage in, the scanning module's own error out (or the file skipped): a hostile layer or
package database must never crash a scan with anything a caller cannot expect."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.scanning.apk import parse_apk_installed
from chalicelib.scanning.dpkg import parse_dpkg_status
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.inventory import inventory_of_layers, take_inventory
from chalicelib.scanning.npm import parse_package_json
from chalicelib.scanning.os_release import OsRelease, parse_os_release
from chalicelib.scanning.package import Package
from chalicelib.scanning.python_dist import parse_python_metadata
from chalicelib.scanning.rpm_header import parse_header_blob
from chalicelib.scanning.rpm_sqlite import parse_rpm_sqlite
from tests.scanning.layers import layer, stream
from tests.scanning.rpmdb import RpmFields, header_blob

PARSERS: list[Callable[[bytes, str, OsRelease | None], list[Package]]] = [
    parse_dpkg_status,
    parse_apk_installed,
    parse_rpm_sqlite,
    lambda data, path, _os: parse_python_metadata(data, path),
    lambda data, path, _os: parse_package_json(data, path),
]
WANTED = [
    "var/lib/dpkg/status",
    "var/lib/dpkg/status.d/x",
    "lib/apk/db/installed",
    "var/lib/rpm/rpmdb.sqlite",
    "etc/os-release",
    "x/y-1.dist-info/METADATA",
    "node_modules/z/package.json",
]
text_like = st.one_of(
    st.binary(max_size=300),
    st.text(alphabet=st.sampled_from('PVAo:\n -()Pckage:Vrsion\x00{}"name'), max_size=300).map(
        str.encode
    ),
)


@settings(max_examples=200)
@given(data=text_like, which=st.integers(0, len(PARSERS) - 1))
def test_parsers_raise_only_their_own_error(data: bytes, which: int) -> None:
    try:
        packages = PARSERS[which](data, "p", None)
    except ScanInputError:
        return
    assert all(p.name and p.version for p in packages)


@settings(max_examples=200)
@given(data=st.binary(max_size=200))
def test_os_release_raises_only_its_own_error(data: bytes) -> None:
    try:
        parse_os_release(data)
    except ScanInputError:
        pass


BLOB = header_blob(RpmFields("bash", "5.1.8", "6.el9", epoch=2, source_rpm="bash-5.1.8-6.src.rpm"))


@settings(max_examples=300)
@given(
    edits=st.lists(st.tuples(st.integers(0, len(BLOB) - 1), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, len(BLOB)),
)
def test_corrupted_rpm_headers_raise_only_their_own_error(
    edits: list[tuple[int, int]], cut: int
) -> None:
    blob = bytearray(BLOB)
    for where, value in edits:
        blob[where] = value
    try:
        parse_header_blob(bytes(blob[:cut]))
    except ScanInputError:
        pass


@settings(max_examples=100)
@given(data=st.binary(max_size=2000))
def test_garbage_layers_raise_only_their_own_error(data: bytes) -> None:
    for candidate in (data, b"\x1f\x8b" + data, b"\x28\xb5\x2f\xfd" + data):
        try:
            inventory_of_layers([stream(candidate)])
        except ScanInputError:
            pass


@settings(max_examples=100)
@given(files=st.dictionaries(st.sampled_from(WANTED), text_like, max_size=5))
def test_layers_of_garbage_databases_are_reported_not_raised(files: dict[str, bytes]) -> None:
    inventory = inventory_of_layers([stream(layer(list(files.items())))])
    assert inventory == take_inventory(files)
