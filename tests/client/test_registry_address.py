"""A registry named without a scheme: HTTPS, except loopback hosts (plain HTTP)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.client.registry_address import base_url, host_of, is_loopback, registry_url

_LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
_PORT = st.integers(min_value=1, max_value=65535)


@given(st.lists(_LABEL, min_size=2, max_size=4), st.none() | _PORT)
def test_a_named_host_without_scheme_is_https(labels: list[str], port: int | None) -> None:
    host = ".".join(labels) + (f":{port}" if port else "")
    assert base_url(host) == f"https://{host}"
    assert host_of(host) == host


@given(
    st.sampled_from(["localhost", "127.0.0.1", "127.3.2.1", "[::1]"]),
    st.none() | _PORT,
)
def test_a_loopback_host_without_scheme_is_http(name: str, port: int | None) -> None:
    host = name + (f":{port}" if port else "")
    assert base_url(host + "/") == f"http://{host}"
    assert host_of(f"http://{host}/") == host


@given(st.sampled_from(["http", "https"]), _LABEL, st.none() | _PORT)
def test_a_given_scheme_is_kept(scheme: str, name: str, port: int | None) -> None:
    url = f"{scheme}://{name}" + (f":{port}" if port else "")
    assert base_url(url + "/") == url


@pytest.mark.parametrize("name", ["10.0.0.1", "localhost.example.com", "::2", "[fe80::1]"])
def test_not_loopback(name: str) -> None:
    assert not is_loopback(name)


def test_berth_registry_is_read_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BERTH_REGISTRY", "127.0.0.1:5402")
    assert registry_url(None) == "http://127.0.0.1:5402"
    assert registry_url("registry.example.com") == "https://registry.example.com"
    monkeypatch.delenv("BERTH_REGISTRY")
    assert registry_url(None) == "http://127.0.0.1:5000"
