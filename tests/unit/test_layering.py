"""Arrows point down: every import in the runtime, read with `ast` (function-local and
TYPE_CHECKING ones too), checked against the layers the README's Layout describes.

- chalicelib/oci/, chalicelib/rules/, chalicelib/scanning/ and chalicelib/signing/ are pure:
  no AWS (boto3, botocore, pynamodb) and no HTTP (chalice, the API layer, urllib.request,
  http); signing's one AWS module is its KMS signer (its package docstring says so), and the
  AWS side of scanning is chalicelib/scanner/;
- chalicelib/storage/ knows no HTTP layer, no garbage collector and no lifecycle, nor auth,
  audit or events: those call storage, never the reverse (the pusher's half of GC is
  storage/gc_fence.py); and it speaks the domain, so it never imports the OCI errors (its
  own are storage/errors.py, mapped to OCI errors by the API); nor replication (which calls
  it) or the remote-registry client;
- chalicelib/remote/ is a client of other registries: it knows neither this registry's API,
  nor its storage, nor replication (which drives it);
- nothing that ships to Lambda (chalicelib/, app.py) imports the client-side `berth`;
- only storage knows pynamodb: the HTTP layer (app.py, chalicelib/api/, chalicelib/web/)
  imports neither pynamodb, nor any models module, nor any item class (whichever module
  re-exports it): it is handed records. Outside storage, the packages that own items of
  their own in the one table (OWNERS, each with its reason) may use pynamodb; nothing else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = [*sorted((ROOT / "chalicelib").rglob("*.py")), ROOT / "app.py"]

AWS = ("boto3", "botocore", "pynamodb")
HTTP = ("chalice", "chalicelib.api", "urllib.request", "http")
FORBIDDEN = {
    "chalicelib/oci/": AWS + HTTP,
    "chalicelib/rules/": AWS + HTTP,
    "chalicelib/scanning/": AWS + HTTP,
    "chalicelib/signing/": AWS + HTTP,
    "chalicelib/storage/": (
        "chalicelib.api",
        "chalicelib.gc",
        "chalicelib.lifecycle",
        "chalicelib.auth",
        "chalicelib.audit",
        "chalicelib.events",
        "chalicelib.oci.errors",
        "chalicelib.scanner",
        "chalicelib.web",
        "chalicelib.replication",
        "chalicelib.remote",
    ),
    # Other registries, as a client: nothing of this registry's API, storage or replication.
    "chalicelib/remote/": ("chalicelib.api", "chalicelib.storage", "chalicelib.replication"),
    "": ("berth",),
}
# Modules a rule above names the one exception of, each with its reason.
EXEMPT = {
    # A KMS key as a signer (`berth sign --kms`, managed signing): the AWS end of signing.
    "chalicelib/signing/kms_signer.py": AWS,
}


# Packages, besides chalicelib/storage/, that may use pynamodb: each owns items of its own
# (defined on storage's base item, keyed by storage/keys.py) and hands the API records.
OWNERS = {
    "chalicelib/auth/": "principals, grants, refresh tokens, revocations, login counters",
    "chalicelib/audit/": "stages its audit items in the caller's transaction",
    "chalicelib/events/": "webhooks, triggers and their delivery logs",
    "chalicelib/cache/": "pull-through rules, fill claims, tag freshness",
    "chalicelib/replication/": "replication rules and the state of each copy",
    # The collector and the lifecycle run condition their deletes on what they read of
    # storage's items (the GC protocol, storage/unlinking.py): being split off (issue 10).
    "chalicelib/gc/": "conditions its deletes on storage's items (the GC protocol)",
    "chalicelib/lifecycle/": "its policy item; conditions its deletes on storage's items",
}
HTTP_LAYER = ("app.py", "chalicelib/api/", "chalicelib/web/")


def imports_of(where: str, source: str) -> set[str]:
    """Every module the file at `where` (relative to the root) imports, anywhere in it, as
    an absolute dotted name."""
    found: set[str] = set()
    package = where.removesuffix(".py").split("/")[:-1]
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            # `from chalicelib import api` imports chalicelib.api.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _is_under(module: str, banned: str) -> bool:
    return module == banned or module.startswith(banned + ".")


def violations(where: str, source: str) -> list[str]:
    imported = imports_of(where, source)
    return sorted(
        f"{where} imports {module}"
        for prefix, banned in FORBIDDEN.items()
        if where.startswith(prefix)
        for module in imported
        if any(_is_under(module, b) for b in banned)
        and not any(_is_under(module, e) for e in EXEMPT.get(where, ()))
    )


def knows_pynamodb(where: str, imported: set[str]) -> list[str]:
    """Imports of pynamodb or of a models module by a file that may not use them."""
    if where.startswith("chalicelib/storage/") or where.startswith(tuple(OWNERS)):
        return []
    return sorted(
        f"{where} imports {module}"
        for module in imported
        if _is_under(module, "pynamodb")
        or module.rsplit(".", 1)[-1] == "models"
        or ".models." in module
    )


def _is_item_class(value: object) -> bool:
    from pynamodb.models import Model

    return isinstance(value, type) and issubclass(value, Model)


def items_named(where: str, source: str) -> list[str]:
    """Item classes the file names: imported by name, or read off an imported module."""
    import importlib

    found = []
    modules: dict[str, str] = {}  # local name -> module
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Import):
            modules.update({(a.asname or a.name): a.name for a in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                try:
                    value = getattr(importlib.import_module(node.module), alias.name)
                except (ImportError, AttributeError):
                    continue
                if isinstance(value, type(importlib)):
                    modules[alias.asname or alias.name] = value.__name__
                elif _is_item_class(value):
                    found.append(f"{where} names {node.module}.{alias.name}")
    for node in ast.walk(ast.parse(source, where)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            module = importlib.import_module(modules[node.value.id])
            if _is_item_class(getattr(module, node.attr, None)):
                found.append(f"{where} names {module.__name__}.{node.attr}")
    return sorted(set(found))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_runtime_is_all_read() -> None:
    assert len(RUNTIME) > 50
    blobs = ROOT / "chalicelib/storage/blobs.py"
    assert "chalicelib.storage.models" in imports_of(_relative(blobs), blobs.read_text())


@pytest.mark.parametrize("path", RUNTIME, ids=_relative)
def test_imports_point_down(path: Path) -> None:
    assert violations(_relative(path), path.read_text()) == []


@pytest.mark.parametrize("path", RUNTIME, ids=_relative)
def test_only_storage_and_item_owners_know_pynamodb(path: Path) -> None:
    where = _relative(path)
    assert knows_pynamodb(where, imports_of(where, path.read_text())) == []


HTTP_FILES = [p for p in RUNTIME if _relative(p).startswith(HTTP_LAYER)]


def test_the_http_layer_is_all_read() -> None:
    assert any(_relative(p) == "chalicelib/api/history.py" for p in HTTP_FILES)
    assert any(_relative(p).startswith("chalicelib/web/") for p in HTTP_FILES)


@pytest.mark.parametrize("path", HTTP_FILES, ids=_relative)
def test_the_http_layer_is_handed_records_not_items(path: Path) -> None:
    where = _relative(path)
    assert items_named(where, path.read_text()) == []


@pytest.mark.parametrize(
    ("where", "source", "found"),
    [
        (
            "chalicelib/api/x.py",
            "from pynamodb.models import Model\n",
            ["pynamodb.models", "pynamodb.models.Model"],
        ),
        (
            "chalicelib/web/x.py",
            "from chalicelib.events import models\n",
            ["chalicelib.events.models"],
        ),
        ("chalicelib/scanner/x.py", "import pynamodb.exceptions\n", ["pynamodb.exceptions"]),
        ("chalicelib/events/x.py", "import pynamodb.exceptions\n", []),
        ("chalicelib/storage/x.py", "from chalicelib.storage.models import TagItem\n", []),
    ],
)
def test_what_counts_as_knowing_pynamodb(where: str, source: str, found: list[str]) -> None:
    assert knows_pynamodb(where, imports_of(where, source)) == [
        f"{where} imports {m}" for m in found
    ]


@pytest.mark.parametrize(
    ("source", "found"),
    [
        (
            "from chalicelib.events.triggers import TriggerItem\n",
            ["chalicelib.events.triggers.TriggerItem"],
        ),
        (
            "from chalicelib.replication import status\nstatus.ReplicaItem\n",
            ["chalicelib.replication.status.ReplicaItem"],
        ),
        ("from chalicelib.events.records import Webhook\n", []),
        ("from chalicelib.replication import status\nstatus.states\n", []),
    ],
)
def test_what_counts_as_naming_an_item(source: str, found: list[str]) -> None:
    assert items_named("chalicelib/api/x.py", source) == [
        f"chalicelib/api/x.py names {n}" for n in found
    ]


@pytest.mark.parametrize(
    ("where", "source", "found"),
    [
        (
            "chalicelib/storage/x.py",
            "def f() -> None:\n    from chalicelib.gc import guard\n",
            ["chalicelib.gc", "chalicelib.gc.guard"],
        ),
        (
            "chalicelib/storage/x.py",
            "from ..lifecycle import store\n",
            ["chalicelib.lifecycle", "chalicelib.lifecycle.store"],
        ),
        (
            "chalicelib/storage/x.py",
            "from chalicelib.oci.errors import OCIError\n",
            ["chalicelib.oci.errors", "chalicelib.oci.errors.OCIError"],
        ),
        ("chalicelib/storage/x.py", "from chalicelib.oci.digest import Digest\n", []),
        ("chalicelib/oci/x.py", "import http.client\n", ["http.client"]),
        ("chalicelib/oci/x.py", "from chalicelib import api\n", ["chalicelib.api"]),
        ("app.py", "import berth.push\n", ["berth.push"]),
        ("chalicelib/oci/x.py", "import httpx\n", []),
        ("chalicelib/signing/x.py", "import boto3\n", ["boto3"]),
        ("chalicelib/signing/kms_signer.py", "import boto3\n", []),
        ("chalicelib/signing/kms_signer.py", "import chalice\n", ["chalice"]),
        (
            "chalicelib/scanning/x.py",
            "from pynamodb.models import Model\n",
            ["pynamodb.models", "pynamodb.models.Model"],
        ),
        (
            "chalicelib/storage/x.py",
            "from chalicelib.scanner import run\n",
            ["chalicelib.scanner", "chalicelib.scanner.run"],
        ),
    ],
)
def test_what_counts_as_crossing(where: str, source: str, found: list[str]) -> None:
    assert violations(where, source) == [f"{where} imports {m}" for m in found]
