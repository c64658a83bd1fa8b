"""Packages inside files (chalicelib/scanning/go_buildinfo.py, cargo_auditable.py,
java_archive.py, file_evidence.py): Go build info, cargo-auditable data and Maven metadata,
in executables and archives built here in their real formats (tests/scanning/binaries.py),
found in layers with whiteouts honoured, and broken ones reported, never a crash."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.scanning import embedded, java_archive
from chalicelib.scanning.errors import ScanInputError
from chalicelib.scanning.file_evidence import evidence
from chalicelib.scanning.go_buildinfo import go_packages, parse_buildinfo, stdlib_version
from chalicelib.scanning.inventory import Inventory, inventory_of_layers
from tests.scanning.binaries import (
    cargo_dep_v0,
    elf,
    go_buildinfo,
    go_buildinfo_pointers,
    go_modinfo,
    jar,
    pom_properties,
)
from tests.scanning.layers import layer, stream

APP = "usr/local/bin/app"
GO_DEPS = [
    ("github.com/gin-gonic/gin", "v1.9.0"),
    ("golang.org/x/net", "v0.0.0-20220722155237-a158d28d115b"),
    ("github.com/docker/docker", "v20.10.24+incompatible"),
    ("example.com/forked", "v1.0.0"),
    ("example.com/vendored", "v0.3.0"),
]
GO_REPLACED = {
    "example.com/forked": ("github.com/me/forked", "v1.0.1-fix"),
    "example.com/vendored": ("../vendored", ""),
}


def go_binary(main_version: str = "v1.4.2", toolchain: str = "go1.21.5") -> bytes:
    modinfo = go_modinfo(("example.com/app", main_version), GO_DEPS, GO_REPLACED)
    return elf({".text": b"\x90" * 64, ".go.buildinfo": go_buildinfo(toolchain, modinfo)})


def scan(*layers: bytes) -> Inventory:
    return inventory_of_layers(stream(data) for data in layers)


def test_go_binary_modules_and_standard_library() -> None:
    inventory = scan(layer([(APP, go_binary())], executables=frozenset({APP})))
    assert inventory.problems == []
    assert sorted((p.name, p.version, p.purl) for p in inventory.packages) == [
        (
            "example.com/app",
            "v1.4.2",
            "pkg:golang/example.com/app@v1.4.2",
        ),
        (
            "github.com/docker/docker",
            "v20.10.24+incompatible",
            "pkg:golang/github.com/docker/docker@v20.10.24+incompatible",
        ),
        ("github.com/gin-gonic/gin", "v1.9.0", "pkg:golang/github.com/gin-gonic/gin@v1.9.0"),
        (
            "github.com/me/forked",
            "v1.0.1-fix",
            "pkg:golang/github.com/me/forked@v1.0.1-fix",
        ),
        (
            "golang.org/x/net",
            "v0.0.0-20220722155237-a158d28d115b",
            "pkg:golang/golang.org/x/net@v0.0.0-20220722155237-a158d28d115b",
        ),
        ("stdlib", "v1.21.5", "pkg:golang/stdlib@v1.21.5"),
    ]
    assert {p.kind for p in inventory.packages} == {"golang"}
    assert {p.path for p in inventory.packages} == {APP}


def test_a_main_module_built_from_a_checkout_is_not_a_package() -> None:
    inventory = scan(layer([(APP, go_binary("(devel)", "go1.20"))], executables=frozenset({APP})))
    names = {p.name: p.version for p in inventory.packages}
    assert "example.com/app" not in names
    assert names["stdlib"] == "v1.20.0"


def test_toolchain_versions_become_semantic_versions() -> None:
    assert stdlib_version("go1.21.5") == "v1.21.5"
    assert stdlib_version("go1.20") == "v1.20.0"
    assert stdlib_version("go1.21rc2") == "v1.21.0-rc.2"
    assert stdlib_version("go1.19beta1") == "v1.19.0-beta.1"
    assert stdlib_version("devel +abc") == ""


def test_pre_1_18_build_info_is_not_read_and_not_an_error() -> None:
    old = b"\xff Go buildinf:" + bytes([8, 0]) + b"\0" * 16 + b"\0" * 64
    assert parse_buildinfo(old) is None
    inventory = scan(layer([(APP, elf({".go.buildinfo": old}))], executables=frozenset({APP})))
    assert inventory.packages == [] and inventory.problems == []


@pytest.mark.parametrize(
    ("wide", "order", "pointer_size"),
    [(True, "<", 8), (True, ">", 8), (False, "<", 4), (False, ">", 4)],
)
def test_go_1_13_to_1_17_build_info_is_followed_through_its_pointers(
    wide: bool, order: str, pointer_size: int
) -> None:
    """Before 1.18 the header points at Go string headers in the data segment: the same
    modules and standard library as a 1.18 binary of the same build."""
    modinfo = go_modinfo(("example.com/app", "v1.4.2"), GO_DEPS, GO_REPLACED)
    sections, addresses = go_buildinfo_pointers("go1.16.15", modinfo, pointer_size, order)
    old = elf(sections, wide=wide, order=order, addresses=addresses)
    assert parse_buildinfo(sections[".go.buildinfo"]) is None  # not inline: needs the file
    inventory = scan(layer([(APP, old)], executables=frozenset({APP})))
    assert inventory.problems == []
    new = scan(layer([(APP, go_binary(toolchain="go1.16.15"))], executables=frozenset({APP})))
    assert inventory.packages == new.packages
    assert ("stdlib", "v1.16.15") in {(p.name, p.version) for p in inventory.packages}
    assert ("github.com/me/forked", "v1.0.1-fix") in {
        (p.name, p.version) for p in inventory.packages
    }


def test_a_pre_1_18_pointer_into_nothing_is_a_problem_not_a_crash() -> None:
    sections, addresses = go_buildinfo_pointers("go1.17.1", go_modinfo(("a.com/b", "v1.0.0"), []))
    del addresses[".data"]  # the string headers are no longer mapped anywhere
    inventory = scan(
        layer([(APP, elf(sections, addresses=addresses))], executables=frozenset({APP}))
    )
    assert inventory.packages == []
    (problem,) = inventory.problems
    assert problem.startswith(f"{APP}: ELF: address 0x500000 is in no section")


module = st.from_regex(
    r"[a-z]{1,8}\.(com|org|io)/[a-z0-9_-]{1,10}(/[a-z0-9]{1,6})?", fullmatch=True
)
go_version = st.from_regex(
    r"v(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]?)\.(0|[1-9][0-9]?)", fullmatch=True
)


@settings(max_examples=50, deadline=None)
@given(
    deps=st.dictionaries(module, go_version, max_size=30),
    wide=st.booleans(),
    order=st.sampled_from("<>"),
)
def test_any_go_build_info_round_trips(deps: dict[str, str], wide: bool, order: str) -> None:
    modinfo = go_modinfo(("example.com/main", "v2.0.0"), sorted(deps.items()))
    binary = elf({".go.buildinfo": go_buildinfo("go1.22.1", modinfo)}, wide=wide, order=order)
    kept = evidence(APP, io.BytesIO(binary))
    assert kept is not None
    found = embedded.decode(kept)
    assert found is not None
    packages = go_packages(found["go"], APP)
    assert {(p.name, p.version) for p in packages} == {
        *deps.items(),
        ("example.com/main", "v2.0.0"),
        ("stdlib", "v1.22.1"),
    }


CARGO = [
    {"name": "app", "version": "0.1.0", "source": "local", "kind": "runtime", "root": True},
    {"name": "smallvec", "version": "1.6.0", "source": "crates.io", "kind": "runtime"},
    {"name": "serde", "version": "1.0.190", "source": "crates.io"},
    {"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"},
    {"name": "mine", "version": "0.2.0", "source": "git", "kind": "runtime"},
]


def test_rust_binary_built_with_cargo_auditable() -> None:
    binary = elf({".text": b"\xc3" * 32, ".dep-v0": cargo_dep_v0(CARGO)})
    inventory = scan(layer([("app/server", binary)], executables=frozenset({"app/server"})))
    assert inventory.problems == []
    assert [(p.kind, p.name, p.version, p.purl) for p in inventory.packages] == [
        ("cargo", "serde", "1.0.190", "pkg:cargo/serde@1.0.190"),
        ("cargo", "smallvec", "1.6.0", "pkg:cargo/smallvec@1.6.0"),
    ]


def test_only_elf_executables_are_read() -> None:
    binary = go_binary()
    inventory = scan(
        layer(
            [
                ("usr/bin/not-executable", binary),  # mode 0644: not a program
                ("usr/bin/script", b"#!/bin/sh\n" + b"echo hi\n" * 1000),
                ("usr/bin/tiny", b"\x7fELF"),
            ],
            executables=frozenset({"usr/bin/script", "usr/bin/tiny"}),
        )
    )
    assert inventory.packages == [] and inventory.problems == []


def test_a_deleted_binary_leaves_no_packages() -> None:
    base = layer(
        [(APP, go_binary()), ("bin/other", go_binary())], executables=frozenset({APP, "bin/other"})
    )
    delete = layer([("usr/local/bin/.wh.app", b"")])
    assert {p.path for p in scan(base, delete).packages} == {"bin/other"}


def test_broken_binaries_are_problems_not_crashes() -> None:
    broken_go = elf({".go.buildinfo": b"\xff Go buildinf:" + bytes([8, 2]) + b"\0" * 16 + b"\xff"})
    broken_rust = elf({".dep-v0": b"not zlib at all"})
    truncated = go_binary()[:200]
    inventory = scan(
        layer(
            [("a", broken_go), ("b", broken_rust), ("c", truncated)],
            executables=frozenset({"a", "b", "c"}),
        )
    )
    assert inventory.packages == []
    assert [problem.split(":")[0] for problem in inventory.problems] == ["a", "b", "c"]


@settings(max_examples=200, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=6))
def test_corrupt_executables_raise_only_the_scan_error(edits: list[tuple[int, int]]) -> None:
    binary = bytearray(
        elf(
            {
                ".go.buildinfo": go_buildinfo("go1.21.0", go_modinfo(("a.com/b", "v1.0.0"), [])),
                ".dep-v0": cargo_dep_v0(CARGO),
            }
        )
    )
    for where, value in edits:
        binary[where % len(binary)] = value
    try:
        evidence(APP, io.BytesIO(bytes(binary)))
    except ScanInputError:
        pass


def spring_boot_jar() -> bytes:
    """A Spring Boot fat jar: the application's own metadata, libraries stored uncompressed in
    BOOT-INF/lib (one of them shading another library), one library with a manifest only."""
    core = jar(dict([pom_properties("org.springframework", "spring-core", "5.3.18")]))
    shaded = jar(
        dict(
            [
                pom_properties("com.fasterxml.jackson.core", "jackson-databind", "2.13.2"),
                pom_properties("org.yaml", "snakeyaml", "1.30"),
            ]
        )
    )
    manifest_only = jar(
        {
            "META-INF/MANIFEST.MF": (
                b"Manifest-Version: 1.0\r\nImplementation-Title: log4j-core\r\n"
                b"Implementation-Version: 2.14.1\r\n"
                b"Implementation-Vendor-Id: org.apache.logging.lo\r\n"
                b" g4j\r\n\r\nName: org/apache/\r\nImplementation-Version: 9\r\n"
            )
        }
    )
    no_coordinates = jar(
        {"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\nCreated-By: Maven\r\n"}
    )
    return jar(
        {
            **dict([pom_properties("com.example", "shop", "1.0.0")]),
            "BOOT-INF/classes/com/example/Shop.class": b"\xca\xfe\xba\xbe",
            "BOOT-INF/lib/spring-core-5.3.18.jar": core,
            "BOOT-INF/lib/jackson-all-2.13.2.jar": shaded,
            "BOOT-INF/lib/log4j-core-2.14.1.jar": manifest_only,
            "BOOT-INF/lib/plain-1.0.jar": no_coordinates,
        },
        compression=zipfile.ZIP_STORED,
    )


def test_spring_boot_fat_jar_and_war() -> None:
    war = jar(
        {
            "WEB-INF/web.xml": b"<web-app/>",
            "WEB-INF/lib/commons-text-1.9.jar": jar(
                dict([pom_properties("org.apache.commons", "commons-text", "1.9")])
            ),
        }
    )
    inventory = scan(
        layer([("app/shop.jar", spring_boot_jar()), ("opt/tomcat/webapps/admin.war", war)])
    )
    assert inventory.problems == []
    assert sorted((p.name, p.version, p.path) for p in inventory.packages) == [
        ("com.example:shop", "1.0.0", "app/shop.jar"),
        (
            "com.fasterxml.jackson.core:jackson-databind",
            "2.13.2",
            "app/shop.jar!/BOOT-INF/lib/jackson-all-2.13.2.jar",
        ),
        (
            "org.apache.commons:commons-text",
            "1.9",
            "opt/tomcat/webapps/admin.war!/WEB-INF/lib/commons-text-1.9.jar",
        ),
        (
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "app/shop.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar",
        ),
        (
            "org.springframework:spring-core",
            "5.3.18",
            "app/shop.jar!/BOOT-INF/lib/spring-core-5.3.18.jar",
        ),
        ("org.yaml:snakeyaml", "1.30", "app/shop.jar!/BOOT-INF/lib/jackson-all-2.13.2.jar"),
    ]
    purls = {p.name: p.purl for p in inventory.packages}
    assert purls["org.apache.logging.log4j:log4j-core"] == (
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    )


def test_a_broken_archive_is_a_problem() -> None:
    inventory = scan(layer([("app/broken.jar", b"PK\x03\x04" + b"\0" * 100)]))
    assert inventory.packages == []
    assert inventory.problems and inventory.problems[0].startswith("app/broken.jar:")


def test_an_oversized_nested_archive_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(java_archive, "_MAX_NESTED", 100)
    inventory = scan(layer([("app/shop.jar", spring_boot_jar())]))
    assert inventory.packages == []
    assert inventory.problems == [
        "app/shop.jar: BOOT-INF/lib/spring-core-5.3.18.jar: nested archive too large to read"
    ]
