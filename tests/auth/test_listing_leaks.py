"""Listings with auth on name only what the caller may pull: in the body AND in the `Link`.

`/v2/_berth/repositories` used to build its next-page link from the last row before
filtering, so a caller with no access walked every name page by page (issue 11, D2). Both
listings are walked here page by page, following every `Link`, by a caller who may pull
nothing and by one who may pull a few names scattered among the others."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.auth.permissions import Level
from chalicelib.storage.clock import now as utcnow
from chalicelib.storage.repositories import key
from tests.api.helpers import header, next_link
from tests.auth.gate_support import Caller, user

LISTINGS = ["/v2/_catalog", "/v2/_berth/repositories"]


def _walk(client: Any, caller: Caller, path: str) -> tuple[list[str], list[str]]:
    """Every name listed and every `last` a Link carried, following Links to the end."""
    listed: list[str] = []
    lasts: list[str] = []
    url: str | None = f"{path}?n=2"
    while url is not None:
        response = client.http.get(url, headers=caller.basic())
        assert response.status_code == 200, response.body
        for entry in json.loads(response.body)["repositories"]:
            listed.append(entry if isinstance(entry, str) else entry["name"])
        url = next_link(response)
        if url is not None:
            lasts += parse_qs(urlsplit(url).query)["last"]
        else:
            assert header(response, "Link") is None
    return listed, lasts


@pytest.fixture
def names(auth_on: None) -> list[str]:
    """Nine repositories in a namespace of their own (lexical order = creation order)."""
    prefix = f"leak{uuid.uuid4().hex[:8]}"
    created = [f"{prefix}/r{i}" for i in range(9)]
    for name in created:
        item = key(name)
        item.created_at = utcnow()
        item.save()
    return created


@pytest.mark.parametrize("path", LISTINGS)
def test_a_caller_with_no_access_learns_no_name(client: Any, names: list[str], path: str) -> None:
    stranger = user("stranger", [("elsewhere/*", Level.PULL)])
    listed, lasts = _walk(client, stranger, path)
    assert not set(listed + lasts) & set(names)


@pytest.mark.parametrize("path", LISTINGS)
def test_pages_and_links_hold_only_visible_names(client: Any, names: list[str], path: str) -> None:
    seen = [names[1], names[4], names[5], names[8]]
    reader = user("reader", [(name, Level.PULL) for name in seen])
    listed, lasts = _walk(client, reader, path)
    assert [name for name in listed if name in names] == seen
    assert set(lasts) <= set(listed)  # a Link names a page's last visible name, nothing else
