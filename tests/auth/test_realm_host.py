"""The Bearer challenge's realm (where clients send credentials) follows `X-Forwarded-Host`
only when the operator listed that host as a proxy's (issue 11, "Also"): a client-supplied
header used to point the realm anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.helpers import header


def _realm(client: Any, **headers: str) -> str:
    response = client.http.get("/v2/", headers=headers)
    assert response.status_code == 401
    challenge = header(response, "WWW-Authenticate") or ""
    return challenge.split('realm="', 1)[1].split('"', 1)[0]


@pytest.fixture
def trusted(auth_on: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from chalicelib.auth.auth_settings import auth_settings

    monkeypatch.setenv("BERTH_TRUSTED_FORWARDED_HOSTS", "registry.example.com, cdn.example.com")
    auth_settings.cache_clear()
    yield
    auth_settings.cache_clear()


def test_an_unlisted_forwarded_host_is_ignored(client: Any, auth_on: None) -> None:
    realm = _realm(client, Host="berth.test", **{"X-Forwarded-Host": "evil.example"})
    assert realm == "https://berth.test/token"


def test_a_listed_forwarded_host_names_the_realm(client: Any, trusted: None) -> None:
    realm = _realm(
        client, Host="abc.lambda-url.aws", **{"X-Forwarded-Host": "Registry.example.com"}
    )
    assert realm == "https://registry.example.com/token"
    other = _realm(client, Host="abc.lambda-url.aws", **{"X-Forwarded-Host": "evil.example"})
    assert other == "https://abc.lambda-url.aws/token"
