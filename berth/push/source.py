"""SOURCE of `berth push`: which kind it is, and the image in it to push.

`PATH` or `PATH:NAME`, where PATH is an OCI layout directory, an oci-archive (a tar of one), or a
`docker save` tarball (gzipped or not), and NAME picks an image when it holds several (a layout's
ref name, or a docker save RepoTag or just its tag).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from berth.push.content import PushPlan
from berth.push.docker_save import is_docker_save, read_docker_save
from berth.push.errors import source_invalid
from berth.push.layout import is_layout, read_layout
from berth.push.tree import open_tree


def split_source(value: str) -> tuple[Path, str | None]:
    """The path and the optional image name of SOURCE (a path that exists wins)."""
    if Path(value).exists():
        return Path(value), None
    path, colon, name = value.rpartition(":")
    if colon and path and name and "/" not in name and Path(path).exists():
        return Path(path), name
    raise source_invalid(f"{value} does not exist")


@contextmanager
def open_source(value: str, *, docker_format: bool = False) -> Iterator[PushPlan]:
    """The plan for SOURCE; its files stay readable until the context exits."""
    path, name = split_source(value)
    with open_tree(path) as tree:
        # docker 25+ saves an OCI layout beside manifest.json: the layout is exact, prefer it.
        if is_layout(tree):
            yield read_layout(tree, name, str(path))
        elif is_docker_save(tree):
            yield read_docker_save(tree, name, str(path), docker_format)
        else:
            raise source_invalid(
                f"{path} is neither an OCI layout (oci-layout, index.json), an oci-archive "
                "nor a docker save tarball (manifest.json)"
            )
