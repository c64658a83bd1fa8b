"""Inventory of real layers (chalicelib/scanning): the machine's own dpkg database agrees with
dpkg-query, hand-written apk and rpm databases in their real formats, Python and npm metadata,
and whiteouts across layers as the image spec defines them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chalicelib.scanning import layer_reader
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.inventory import Inventory, inventory_of_layers
from tests.scanning.layers import layer, stream
from tests.scanning.rpmdb import RpmFields, rpmdb_sqlite

MACHINE_STATUS = Path("/var/lib/dpkg/status")
DEBIAN_OS = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
ALPINE_OS = b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'


def scan(*layers: bytes) -> Inventory:
    return inventory_of_layers(stream(data) for data in layers)


def dpkg_query(status: bytes, tmp_path: Path, fmt: str) -> list[str]:
    """What dpkg itself lists for a status file, packages with only config files left out
    (they have no files on disk to be vulnerable; dpkg-query lists them, the scan does not)."""
    (tmp_path / "status").write_bytes(status)
    out = subprocess.run(
        ["dpkg-query", f"--admindir={tmp_path}", "-W", "-f", "${db:Status-Status} " + fmt],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return sorted(
        line.split(" ", 1)[1] for line in out.splitlines() if not line.startswith("config-files")
    )


def test_machine_dpkg_status_matches_dpkg_query(tmp_path: Path) -> None:
    status = MACHINE_STATUS.read_bytes()
    inventory = scan(layer([("etc/os-release", DEBIAN_OS), ("var/lib/dpkg/status", status)]))
    assert inventory.problems == []
    debs = [p for p in inventory.packages if p.kind == "deb"]
    expected = dpkg_query(status, tmp_path, "${Package} ${Version}\n")
    assert len(expected) > 50
    assert sorted(f"{p.name} {p.version}" for p in debs) == expected
    sources = dpkg_query(status, tmp_path, "${Package} ${source:Package} ${source:Version}\n")
    assert sorted(f"{p.name} {p.source_name} {p.source_version}" for p in debs) == sources
    assert inventory.os is not None and inventory.os.distro == "debian-12"
    assert all(p.purl.startswith(f"pkg:deb/debian/{p.name}@") for p in debs)
    assert all("distro=debian-12" in p.purl for p in debs)


def test_config_files_only_packages_are_not_installed(tmp_path: Path) -> None:
    status = (
        b"Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n"
        b"Maintainer: x\nDescription: y\n\n"
        b"Package: here\nStatus: install ok installed\nVersion: 2:1.0~rc1-3\n"
        b"Source: upstream (1.0~rc1-3)\nArchitecture: amd64\nMaintainer: x\nDescription: y\n"
        b" continued description line\n"
    )
    inventory = scan(layer([("var/lib/dpkg/status", status)]))
    assert [(p.name, p.version, p.source_name) for p in inventory.packages] == [
        ("here", "2:1.0~rc1-3", "upstream")
    ]
    assert dpkg_query(status, tmp_path, "${Package} ${Version}\n") == ["here 2:1.0~rc1-3"]
    assert inventory.packages[0].purl == "pkg:deb/debian/here@2:1.0~rc1-3?arch=amd64"


def test_distroless_status_d_ignores_md5sums() -> None:
    inventory = scan(
        layer(
            [
                ("var/lib/dpkg/status.d/base", b"Package: base-files\nVersion: 12.4\n"),
                (
                    "var/lib/dpkg/status.d/libc6",
                    b"Package: libc6\nVersion: 2.36-9+deb12u4\nSource: glibc\n",
                ),
                ("var/lib/dpkg/status.d/libc6.md5sums", b"abc  lib/x\n"),
            ]
        )
    )
    assert inventory.problems == []
    assert [(p.name, p.source_name, p.source_version) for p in inventory.packages] == [
        ("base-files", "base-files", "12.4"),
        ("libc6", "glibc", "2.36-9+deb12u4"),
    ]


APK_INSTALLED = b"""C:Q1jvrdj1V+X4dCwJcnc0zQ0Y1WDsE=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407490
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1700000000
c:d2cb8f4b5e6c3a8b0c1f2d3e4f5a6b7c8d9e0f1a
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1rvS4Wn1N4HL0LO8Z0O1v6Ja9mTE=
R:libc.musl-x86_64.so.1

C:Q1kOXaQSnpDKWQ4AE2vIRiBDlb1Sk=
P:libcrypto3
V:3.1.4-r5
A:x86_64
S:1747664
I:4583424
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1701000000
c:2e4c5b6a7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a
D:so:libc.musl-x86_64.so.1
F:usr/lib
R:libcrypto.so.3

"""


def test_apk_database_keeps_origin_and_git_versions() -> None:
    inventory = scan(
        layer([("etc/os-release", ALPINE_OS), ("lib/apk/db/installed", APK_INSTALLED)], "zstd")
    )
    assert inventory.problems == []
    assert [(p.name, p.version, p.source_name, p.license) for p in inventory.packages] == [
        ("libcrypto3", "3.1.4-r5", "openssl", "Apache-2.0"),
        ("musl", "1.2.4_git20230717-r4", "musl", "MIT"),
    ]
    assert inventory.packages[0].purl == (
        "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1"
    )


def test_rpm_sqlite_database() -> None:
    database = rpmdb_sqlite(
        [
            RpmFields("bash", "5.1.8", "6.el9", source_rpm="bash-5.1.8-6.el9.src.rpm"),
            RpmFields(
                "openssl-libs",
                "3.0.7",
                "25.el9_3",
                epoch=1,
                source_rpm="openssl-3.0.7-25.el9_3.src.rpm",
                license="ASL 2.0",
            ),
            RpmFields("gpg-pubkey", "fd431d51", "4ae0493b", arch=""),
        ]
    )
    rhel = b'ID="rhel"\nVERSION_ID="9.3"\n'
    inventory = scan(
        layer([("etc/os-release", rhel), ("var/lib/rpm/rpmdb.sqlite", database)], "none")
    )
    assert inventory.problems == []
    assert [
        (p.name, p.version, p.source_name, p.source_version, p.license) for p in inventory.packages
    ] == [
        ("bash", "5.1.8-6.el9", "bash", "5.1.8-6.el9", "MIT"),
        ("openssl-libs", "1:3.0.7-25.el9_3", "openssl", "1:3.0.7-25.el9_3", "ASL 2.0"),
    ]
    assert inventory.packages[1].purl == (
        "pkg:rpm/rhel/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=rhel-9.3&epoch=1"
    )


def test_corrupt_rpm_database_is_a_problem_not_a_crash() -> None:
    inventory = scan(layer([("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0" + b"\xff" * 200)]))
    assert inventory.packages == []
    assert inventory.problems and "rpmdb.sqlite" in inventory.problems[0]


PY_METADATA = b"Metadata-Version: 2.1\nName: Requests_OAuthlib\nVersion: 1.3.1\n\nName: body\n"
SITE = "usr/lib/python3/dist-packages"


def test_python_and_npm_metadata() -> None:
    inventory = scan(
        layer(
            [
                (f"{SITE}/requests_oauthlib-1.3.1.dist-info/METADATA", PY_METADATA),
                (
                    f"{SITE}/six-1.16.0.egg-info",
                    b"Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\n",
                ),
                (
                    "app/node_modules/@babel/core/package.json",
                    b'{"name": "@babel/core", "version": "7.23.2", "license": "MIT"}',
                ),
                ("app/node_modules/lodash/package.json", b'{"name":"lodash","version":"4.17.20"}'),
                # Not a package's own manifest: fixtures deep inside a package.
                ("app/node_modules/lodash/test/package.json", b'{"name":"x","version":"1"}'),
            ]
        )
    )
    assert inventory.problems == []
    assert sorted(p.purl for p in inventory.packages) == [
        "pkg:npm/%40babel/core@7.23.2",
        "pkg:npm/lodash@4.17.20",
        "pkg:pypi/requests-oauthlib@1.3.1",
        "pkg:pypi/six@1.16.0",
    ]


def dpkg_status(*packages: tuple[str, str]) -> bytes:
    return b"\n".join(
        f"Package: {name}\nStatus: install ok installed\nVersion: {version}\n".encode()
        for name, version in packages
    )


def test_later_layers_delete_and_upgrade_packages() -> None:
    base = layer(
        [
            ("etc/os-release", DEBIAN_OS),
            (
                "var/lib/dpkg/status",
                dpkg_status(("openssl", "3.0.11-1~deb12u1"), ("curl", "7.88.1-10")),
            ),
            (f"{SITE}/", None),
            (f"{SITE}/jinja2-3.1.2.dist-info/METADATA", b"Name: Jinja2\nVersion: 3.1.2\n"),
            (f"{SITE}/pyyaml-6.0.dist-info/METADATA", b"Name: PyYAML\nVersion: 6.0\n"),
            ("app/node_modules/lodash/package.json", b'{"name":"lodash","version":"4.17.20"}'),
        ]
    )
    upgrade = layer(
        [
            # apt-get upgrade openssl; apt-get remove curl: dpkg rewrites the whole status file.
            ("var/lib/dpkg/status", dpkg_status(("openssl", "3.0.13-1~deb12u1"))),
            # pip uninstall jinja2; pip install jinja2==3.1.4
            (f"{SITE}/.wh.jinja2-3.1.2.dist-info", b""),
            (f"{SITE}/jinja2-3.1.4.dist-info/METADATA", b"Name: Jinja2\nVersion: 3.1.4\n"),
        ],
        "zstd",
    )
    wipe = layer(
        [
            # rm -rf app/node_modules && mkdir app/node_modules: an opaque directory.
            ("app/node_modules/", None),
            ("app/node_modules/.wh..wh..opq", b""),
            # Whole directory removed through its parent.
            ("usr/lib/python3/.wh.dist-packages", b""),
        ],
        "none",
    )
    assert sorted((p.name, p.version) for p in scan(base, upgrade).packages) == [
        ("jinja2", "3.1.4"),
        ("lodash", "4.17.20"),
        ("openssl", "3.0.13-1~deb12u1"),
        ("pyyaml", "6.0"),
    ]
    assert [(p.name, p.version) for p in scan(base, upgrade, wipe).packages] == [
        ("openssl", "3.0.13-1~deb12u1")
    ]


def test_whiteout_hides_only_lower_layers() -> None:
    # The opaque marker comes after the file in the tar: still applied first (image spec).
    same_layer = layer(
        [
            ("app/node_modules/lodash/package.json", b'{"name":"lodash","version":"4.17.21"}'),
            ("app/node_modules/.wh..wh..opq", b""),
        ]
    )
    lower = layer([("app/node_modules/left/package.json", b'{"name":"left","version":"1.0.0"}')])
    assert [(p.name, p.version) for p in scan(lower, same_layer).packages] == [
        ("lodash", "4.17.21")
    ]


def test_hard_link_to_a_kept_file() -> None:
    metadata = b"Name: attrs\nVersion: 23.1.0\n"
    inventory = scan(
        layer(
            [
                ("a/attrs-23.1.0.dist-info/METADATA", metadata),
                ("b/attrs-23.1.0.dist-info/METADATA", "link", "a/attrs-23.1.0.dist-info/METADATA"),
            ]
        )
    )
    assert sorted(p.path for p in inventory.packages) == [
        "a/attrs-23.1.0.dist-info/METADATA",
        "b/attrs-23.1.0.dist-info/METADATA",
    ]


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_every_compression_reads_the_same(compression: str) -> None:
    inventory = scan(layer([("lib/apk/db/installed", APK_INSTALLED)], compression))
    assert [p.name for p in inventory.packages] == ["libcrypto3", "musl"]


def test_files_too_large_are_skipped_not_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layer_reader, "MAX_KEPT_FILE", 10)
    inventory = scan(layer([("lib/apk/db/installed", APK_INSTALLED)]))
    assert inventory.packages == []
    assert inventory.problems == ["lib/apk/db/installed: larger than a package database, skipped"]


def test_a_whiteout_without_a_name_is_refused() -> None:
    with pytest.raises(ScanInputError):
        scan(layer([("etc/.wh.", b"")]))


def test_not_a_layer_is_refused() -> None:
    with pytest.raises(ScanInputError):
        scan(b"\x1f\x8b definitely not gzip")
