"""The older rpm databases (chalicelib/scanning/rpm_bdb.py, rpm_ndb.py): Berkeley DB hash
`Packages` (RHEL <= 8, Amazon Linux 2) and NDB `Packages.db` (SUSE), written in their real
formats by tests/scanning/rpmdb.py, list the same packages as the sqlite database does, and a
corrupt one is reported, never a crash. tests/scanning/test_rpm_databases_tools.py checks the
writers and the reader against libdb and rpm themselves."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.inventory import Inventory, inventory_of_layers
from chalicelib.scanning.os_release import OsRelease
from chalicelib.scanning.rpm_bdb import parse_rpm_bdb
from chalicelib.scanning.rpm_ndb import parse_rpm_ndb
from chalicelib.scanning.rpm_sqlite import parse_rpm_sqlite
from tests.scanning.layers import layer, stream
from tests.scanning.rpmdb import RpmFields, header_blob, rpmdb_bdb, rpmdb_ndb, rpmdb_sqlite

AMAZON_2 = (
    b'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\n'
)
SLES_15 = b'NAME="SLES"\nVERSION="15-SP5"\nVERSION_ID="15.5"\nID="sles"\nID_LIKE="suse"\n'
AMAZON_PACKAGES = [
    RpmFields("bash", "4.2.46", "34.amzn2", source_rpm="bash-4.2.46-34.amzn2.src.rpm"),
    RpmFields(
        "openssl-libs",
        "1.0.2k",
        "24.amzn2.0.12",
        epoch=1,
        source_rpm="openssl-1.0.2k-24.amzn2.0.12.src.rpm",
        license="OpenSSL",
    ),
    RpmFields("gpg-pubkey", "c87f5b1a", "593863f8", arch=""),
]


def scan(*layers: bytes) -> Inventory:
    return inventory_of_layers(stream(data) for data in layers)


def test_berkeley_db_packages_of_amazon_linux_2() -> None:
    database = rpmdb_bdb([header_blob(p) for p in AMAZON_PACKAGES])
    inventory = scan(layer([("etc/os-release", AMAZON_2), ("var/lib/rpm/Packages", database)]))
    assert inventory.problems == []
    assert [(p.name, p.version, p.source_name, p.license) for p in inventory.packages] == [
        ("bash", "4.2.46-34.amzn2", "bash", "MIT"),
        ("openssl-libs", "1:1.0.2k-24.amzn2.0.12", "openssl", "OpenSSL"),
    ]
    assert inventory.packages[1].purl == (
        "pkg:rpm/amzn/openssl-libs@1.0.2k-24.amzn2.0.12?arch=x86_64&distro=amzn-2&epoch=1"
    )
    assert {p.path for p in inventory.packages} == {"var/lib/rpm/Packages"}


def test_ndb_packages_of_suse() -> None:
    packages = [
        RpmFields(
            "libopenssl3",
            "3.0.8",
            "150500.5.14.1",
            source_rpm="openssl-3-3.0.8-150500.5.14.1.src.rpm",
        ),
        RpmFields("zlib", "1.2.13", "150500.4.3.1", arch="aarch64"),
    ]
    database = rpmdb_ndb([header_blob(p) for p in packages])
    inventory = scan(
        layer([("etc/os-release", SLES_15), ("usr/lib/sysimage/rpm/Packages.db", database)])
    )
    assert inventory.problems == []
    assert [(p.name, p.version, p.source_name, p.arch) for p in inventory.packages] == [
        ("libopenssl3", "3.0.8-150500.5.14.1", "openssl-3", "x86_64"),
        ("zlib", "1.2.13-150500.4.3.1", "zlib", "aarch64"),
    ]
    assert inventory.packages[0].purl.startswith("pkg:rpm/sles/libopenssl3@3.0.8-150500.5.14.1?")


rpm_fields = st.builds(
    RpmFields,
    name=st.from_regex(r"[a-z][a-z0-9+_-]{0,30}", fullmatch=True),
    version=st.from_regex(r"[0-9][0-9a-z.+~^]{0,15}", fullmatch=True),
    release=st.from_regex(r"[0-9][0-9a-z._]{0,20}", fullmatch=True),
    epoch=st.one_of(st.none(), st.integers(0, 9)),
    # Large licence strings make headers that span several overflow pages.
    license=st.text(alphabet="ABCDGLMPSTv0123456789 .-", max_size=9000),
)


@settings(max_examples=60, deadline=None)
@given(
    packages=st.lists(rpm_fields, max_size=40),
    page_size=st.sampled_from([512, 1024, 4096, 16384, 65536]),
    inline_limit=st.integers(0, 400),
    order=st.sampled_from("<>"),
)
def test_every_backend_lists_the_same_packages(
    packages: list[RpmFields], page_size: int, inline_limit: int, order: str
) -> None:
    distro = OsRelease(id="rhel", version_id="8.9")
    blobs = [header_blob(p) for p in packages]
    expected = parse_rpm_sqlite(rpmdb_sqlite(packages), "p", distro)
    assert sorted(parse_rpm_bdb(rpmdb_bdb(blobs, page_size, inline_limit, order), "p", distro)) == (
        sorted(expected)
    )
    assert sorted(parse_rpm_ndb(rpmdb_ndb(blobs), "p", distro)) == sorted(expected)


GOOD_BDB = rpmdb_bdb([header_blob(p) for p in AMAZON_PACKAGES], page_size=512, inline_limit=64)
GOOD_NDB = rpmdb_ndb([header_blob(p) for p in AMAZON_PACKAGES])


@settings(max_examples=300)
@given(
    edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 1 << 20),
    which=st.sampled_from(["bdb", "ndb"]),
)
def test_corrupt_databases_raise_only_their_own_error(
    edits: list[tuple[int, int]], cut: int, which: str
) -> None:
    good, parse = (GOOD_BDB, parse_rpm_bdb) if which == "bdb" else (GOOD_NDB, parse_rpm_ndb)
    data = bytearray(good)
    for where, value in edits:
        data[where % len(data)] = value
    try:
        parse(bytes(data[: cut % (len(data) + 1)]), "p", None)
    except ScanInputError:
        pass


def test_a_corrupt_database_is_a_problem_and_the_rest_is_still_scanned() -> None:
    ndb = bytearray(GOOD_NDB)
    ndb[-20] ^= 0xFF  # inside the last blob: its checksum no longer holds
    inventory = scan(
        layer(
            [
                ("var/lib/rpm/Packages.db", bytes(ndb)),
                ("var/lib/rpm/Packages", b"\0" * 4096),
                ("app/node_modules/left/package.json", b'{"name":"left","version":"1.0.0"}'),
            ]
        )
    )
    assert [p.name for p in inventory.packages] == ["left"]
    assert inventory.problems == [
        "var/lib/rpm/Packages: rpm Packages: not a Berkeley DB hash database",
        "var/lib/rpm/Packages.db: rpm Packages.db: package 3: checksum mismatch",
    ]
