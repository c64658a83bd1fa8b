"""The client's media-type table agrees with the server's wherever both name a type."""

from __future__ import annotations

from berth.client import media_types as client
from chalicelib.oci import media_types as server


def _table(module: object) -> dict[str, object]:
    return {name: value for name, value in vars(module).items() if name.isupper()}


def test_shared_names_mean_the_same() -> None:
    client_table, server_table = _table(client), _table(server)
    shared = client_table.keys() & server_table.keys()
    assert {"OCI_MANIFEST", "OCI_INDEX", "IMAGE_MANIFESTS", "INDEXES"} <= shared
    assert {name: client_table[name] for name in shared} == {
        name: server_table[name] for name in shared
    }


def test_the_client_pushes_only_what_the_server_stores() -> None:
    assert client.IMAGE_MANIFESTS | client.INDEXES <= server.MANIFESTS
