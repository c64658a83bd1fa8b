"""Write `docker save` tarballs (the classic format: manifest.json, a config JSON named by its
digest, one directory per layer holding layer.tar) for `berth push` to read."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Saved:
    path: Path
    config: bytes
    layers: tuple[bytes, ...]  # exactly as stored in the tarball


def layer_tar(size: int, name: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = 0
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    return buffer.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def write_docker_save(
    path: Path,
    layer_sizes: tuple[int, ...] = (4096,),
    repo_tags: tuple[str, ...] = ("demo:latest",),
    *,
    gzip_layers: bool = False,
    gzip_tarball: bool = False,
) -> Saved:
    tars = [layer_tar(size, f"file-{n}") for n, size in enumerate(layer_sizes)]
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    layers = [gzip.compress(t, compresslevel=1, mtime=0) if gzip_layers else t for t in tars]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/file-0"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_names = [f"{hashlib.sha256(d.encode()).hexdigest()}/layer.tar" for d in diff_ids]
    manifest = [{"Config": config_name, "RepoTags": list(repo_tags), "Layers": layer_names}]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in zip(layer_names, layers, strict=True):
            _add(tar, name.replace("layer.tar", "VERSION"), b"1.0")
            _add(tar, name, data)
        _add(tar, config_name, config)
        _add(tar, "manifest.json", json.dumps(manifest).encode())
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data, compresslevel=1) if gzip_tarball else data)
    return Saved(path, config, tuple(layers))
