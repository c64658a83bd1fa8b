"""The scan bench's generated image: layers written as gzip tar files on disk (never whole in
memory), with a Debian base (os-release, a dpkg status of generated packages), Python and npm
packages, real ELF executables copied from this machine's /usr/bin (the scanner reads every
executable for Go and Rust metadata), and incompressible filler up to the wanted size."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024
LAYERS = 10
OS_RELEASE = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'


@dataclass(frozen=True)
class LayerFile:
    path: Path
    digest: str
    size: int


def dpkg_status(count: int) -> bytes:
    return "\n".join(
        f"Package: benchpkg{i}\nStatus: install ok installed\nArchitecture: amd64\n"
        f"Source: benchsrc{i // 2}\nVersion: 1.{i}.0-{i % 7}+deb12u1\n"
        f"Maintainer: Bench <bench@example.test>\nDescription: generated package {i}\n"
        for i in range(count)
    ).encode()


def _add(archive: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    archive.addfile(info, io.BytesIO(data))


def _executables(budget: int) -> list[Path]:
    """Real ELF files of this machine, up to `budget` bytes."""
    chosen: list[Path] = []
    for path in sorted(Path("/usr/bin").iterdir()):
        if budget <= 0:
            break
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > 8 * MiB:
                continue
            with path.open("rb") as file:
                if file.read(4) != b"\x7fELF":
                    continue
        except OSError:
            continue
        chosen.append(path)
        budget -= path.stat().st_size
    return chosen


def _filler(directory: str, size: int) -> Iterator[tuple[str, bytes, int]]:
    chunk = 16 * MiB
    for n in range(0, size, chunk):
        yield f"{directory}/blob{n // chunk}.bin", os.urandom(min(chunk, size - n)), 0o644


def _layer_files(
    index: int, per_layer: int, os_packages: int, language_packages: int, executables: list[Path]
) -> Iterator[tuple[str, bytes, int]]:
    """The files of layer `index`: (path, bytes, mode)."""
    python = language_packages * 2 // 3
    written = 0
    if index == 0:
        yield "etc/os-release", OS_RELEASE, 0o644
        yield "var/lib/dpkg/status", dpkg_status(os_packages), 0o644
        for executable in executables:
            data = executable.read_bytes()
            yield f"usr/bin/{executable.name}", data, 0o755
            written += len(data)
    if index == 1:
        site = "usr/lib/python3/dist-packages"
        for i in range(python):
            metadata = f"Metadata-Version: 2.1\nName: benchpy{i}\nVersion: 2.{i}.0\n\n"
            yield f"{site}/benchpy{i}-2.{i}.0.dist-info/METADATA", metadata.encode(), 0o644
    if index == 2:
        for i in range(language_packages - python):
            package = f'{{"name": "benchjs{i}", "version": "3.{i}.0"}}'
            yield f"app/node_modules/benchjs{i}/package.json", package.encode(), 0o644
    yield from _filler(f"data/layer{index}", max(0, per_layer - written))


def _digested(path: Path) -> LayerFile:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(MiB), b""):
            digest.update(block)
    return LayerFile(path, f"sha256:{digest.hexdigest()}", path.stat().st_size)


def app_layer(directory: Path, mib: int, packages: int) -> LayerFile:
    """A new top layer for an image built on `build`'s first nine: an application's Python
    packages and `mib` of data, as a rebuild of the application adds."""
    path = directory / "app-layer.tar.gz"
    with (
        path.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w|", format=tarfile.PAX_FORMAT) as archive,
    ):
        for i in range(packages):
            _add(
                archive,
                f"app/lib/benchapp{i}-4.{i}.0.dist-info/METADATA",
                f"Metadata-Version: 2.1\nName: benchapp{i}\nVersion: 4.{i}.0\n\n".encode(),
            )
        for name, data, mode in _filler("app/data", mib * MiB):
            _add(archive, name, data, mode)
    return _digested(path)


def build(
    directory: Path, total_mib: int, os_packages: int, language_packages: int
) -> list[LayerFile]:
    """LAYERS gzip layers of about total_mib together, bottom first."""
    per_layer = total_mib * MiB // LAYERS
    executables = _executables(min(per_layer // 2, 64 * MiB))
    layers: list[LayerFile] = []
    for index in range(LAYERS):
        path = directory / f"layer{index}.tar.gz"
        with (
            path.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as zipped,
            tarfile.open(fileobj=zipped, mode="w|", format=tarfile.PAX_FORMAT) as archive,
        ):
            for name, data, mode in _layer_files(
                index, per_layer, os_packages, language_packages, executables
            ):
                _add(archive, name, data, mode)
        layers.append(_digested(path))
    return layers


def build_chunked(
    directory: Path, total_mib: int, os_packages: int, language_packages: int
) -> list[tuple[LayerFile, dict[str, str]]]:
    """The same files as `build`, as zstd:chunked layers (bench/chunkedlayer.py), each with
    the annotations naming its TOC."""
    from bench.chunkedlayer import chunked_layer

    per_layer = total_mib * MiB // LAYERS
    executables = _executables(min(per_layer // 2, 64 * MiB))
    layers: list[tuple[LayerFile, dict[str, str]]] = []
    for index in range(LAYERS):
        files = list(_layer_files(index, per_layer, os_packages, language_packages, executables))
        layer = chunked_layer(
            [(name, data) for name, data, _ in files],
            executables=frozenset(name for name, _, mode in files if mode & 0o111),
        )
        path = directory / f"layer{index}.tar.zst"
        path.write_bytes(layer.blob)
        layers.append((_digested(path), layer.annotations))
    return layers


def build_stargz(
    directory: Path, total_mib: int, os_packages: int, language_packages: int
) -> list[tuple[LayerFile, dict[str, str]]]:
    """The same files as `build`, as eStargz layers (bench/stargzlayer.py), each with the
    annotation carrying its TOC's digest."""
    from bench.stargzlayer import stargz_layer

    per_layer = total_mib * MiB // LAYERS
    executables = _executables(min(per_layer // 2, 64 * MiB))
    layers: list[tuple[LayerFile, dict[str, str]]] = []
    for index in range(LAYERS):
        files = list(_layer_files(index, per_layer, os_packages, language_packages, executables))
        layer = stargz_layer(
            [(name, data) for name, data, _ in files],
            executables=frozenset(name for name, _, mode in files if mode & 0o111),
            chunk=4 * MiB,
        )
        path = directory / f"layer{index}.stargz.tar.gz"
        path.write_bytes(layer.blob)
        layers.append((_digested(path), layer.annotations))
    return layers
