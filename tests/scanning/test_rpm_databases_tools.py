"""The Berkeley DB side checked against the real tools (Debian's db5.3-util and rpm, installed
by scripts/install-system-deps): files libdb itself writes, in both byte orders and with many
buckets, read back by the reader; and the test writer's files accepted by `db_dump` and by
rpm's own read-only BerkeleyDB backend. NDB has no such tool here: Debian's rpm is built
without the ndb backend."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chalicelib.scanning.rpm_bdb import header_blobs
from tests.scanning.rpmdb import RpmFields, header_blob, rpmdb_bdb

pytestmark = pytest.mark.e2e

PACKAGES = [
    RpmFields(f"pkg{i}", f"1.{i}", "1.el7", license="GPLv2+ " * (i * 37 % 700), epoch=i % 3 or None)
    for i in range(200)
]


def _dump(records: list[tuple[bytes, bytes]]) -> bytes:
    lines = ["VERSION=3", "format=bytevalue", "type=hash", "HEADER=END"]
    for key, value in records:
        lines += [" " + key.hex(), " " + value.hex()]
    return ("\n".join([*lines, "DATA=END"]) + "\n").encode()


@pytest.mark.parametrize("byte_order", ["1234", "4321"])
def test_databases_libdb_writes_are_read(tmp_path: Path, byte_order: str) -> None:
    blobs = [header_blob(p) for p in PACKAGES]
    little = byte_order == "1234"
    records = [((0).to_bytes(4, "little" if little else "big"), b"\xc9\0\0\0")]
    records += [
        (n.to_bytes(4, "little" if little else "big"), blob) for n, blob in enumerate(blobs, 1)
    ]
    target = tmp_path / "Packages"
    subprocess.run(
        ["db5.3_load", "-t", "hash", "-c", f"db_lorder={byte_order}", str(target)],
        input=_dump(records),
        check=True,
    )
    assert sorted(header_blobs(target.read_bytes())) == sorted(blobs)


def test_the_test_writer_makes_files_libdb_and_rpm_read(tmp_path: Path) -> None:
    blobs = [header_blob(p) for p in PACKAGES[:40]]
    database = tmp_path / "var/lib/rpm/Packages"
    database.parent.mkdir(parents=True)
    database.write_bytes(rpmdb_bdb(blobs))
    dumped = subprocess.run(
        ["db5.3_dump", str(database)], check=True, capture_output=True, text=True
    ).stdout
    data = dumped.split("HEADER=END\n", 1)[1].split("DATA=END", 1)[0].split()
    values = sorted(bytes.fromhex(value) for value in data[1::2])
    assert values == sorted([(41).to_bytes(4, "little"), *blobs])
    listed = subprocess.run(
        [
            "rpm",
            "--dbpath",
            str(database.parent),
            "--define",
            "_db_backend bdb_ro",
            "-qa",
            "--qf",
            "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE}\n",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert sorted(listed.splitlines()) == sorted(
        f"{p.name} {p.epoch or 0}:{p.version}-{p.release}" for p in PACKAGES[:40]
    )
