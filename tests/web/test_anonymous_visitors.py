"""Anonymous visitors with auth on: the public repositories' pages, read-only, when there are
any (the sign-in page otherwise); a private repository answers exactly as one that does not
exist; signed-in people see which repositories are public."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from bench.awscalls import recording
from chalicelib.auth.permissions import Level
from tests.api.helpers import digest_of, image
from tests.auth.gate_support import bearer, token_of, user
from tests.web.test_pages import _sign_in, get, text

pytestmark = pytest.mark.usefixtures("auth_on")


def _make_public(pattern: str) -> None:
    from chalicelib.auth import gate, principals

    principals.make_public(pattern)
    gate.reset()  # this process's cached list, as the revocation bound would within seconds


def _push_as(client: Any, name: str, tag: str, grants_on: str) -> tuple[str, str]:
    """Push an image as a signed-in user (so its pages could name them): (user, digest)."""
    pusher = user("pusher", [(grants_on, Level.PUSH)])
    granted = token_of(client, pusher, [f"repository:{name}:pull,push"])
    assert granted is not None
    pushed = image()
    for blob in pushed.blobs:
        answer = client.http.post(
            f"/v2/{name}/blobs/uploads/?digest={digest_of(blob)}",
            headers={"content-type": "application/octet-stream", **bearer(granted)},
            body=blob,
        )
        assert answer.status_code == 201, answer.body
    answer = client.http.put(
        f"/v2/{name}/manifests/{tag}",
        headers={"content-type": pushed.media_type, **bearer(granted)},
        body=pushed.body,
    )
    assert answer.status_code == 201, answer.body
    return pusher.username or "", pushed.digest


def _pages(name: str, digest: str) -> list[str]:
    return [
        f"/ui/repository?name={name}",
        f"/ui/image?name={name}&digest={digest}",
        f"/ui/history?name={name}&tag=v1",
        f"/ui/activity?name={name}",
        f"/ui/pulls-chart?name={name}",
    ]


def test_without_public_repositories_every_page_sends_a_visitor_to_sign_in(
    client: Any, repo: str
) -> None:
    _, digest = _push_as(client, repo, "v1", repo)
    for path in ["/ui", *_pages(repo, digest)]:
        answer = get(client, path)
        assert answer.status_code == 303, path
        assert answer.headers["Location"] == "/ui/login", path


def test_a_visitor_browses_public_repositories_read_only(client: Any, repo: str) -> None:
    public = f"{repo}-pub"
    private = f"{repo}-priv"
    pusher, digest = _push_as(client, public, "v1", public)
    _push_as(client, private, "v1", private)
    _make_public(public)

    home = get(client, "/ui")
    assert home.status_code == 200
    page = text(home)
    assert f">{public}</a>" in page and private not in page
    assert 'id="sign-in-link"' in page and "sign out" not in page
    assert "Administration" not in page and "Visibility" not in page
    assert pusher not in page  # who pushed is the registry's own business

    for path in _pages(public, digest):
        answer = get(client, path)
        assert answer.status_code == 200, path
        body = text(answer)
        assert pusher not in body, path
        if not path.startswith("/ui/pulls-chart"):
            assert 'id="sign-in-link"' in body, path
    repository = text(get(client, f"/ui/repository?name={public}"))
    assert 'id="settings-link"' not in repository
    history = text(get(client, f"/ui/history?name={public}&tag=v1"))
    assert "roll back to this" not in history and 'action="/ui/rollback"' not in history

    # What changes or administers something still needs a signed-in viewer.
    for path in [f"/ui/settings?name={public}", "/ui/admin", "/ui/account"]:
        answer = get(client, path)
        assert answer.status_code == 303 and answer.headers["Location"] == "/ui/login", path
    posted = client.http.post(
        "/ui/rollback",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"name": public, "tag": "v1", "to": digest, "csrf": ""}).encode(),
    )
    assert posted.status_code == 303 and posted.headers["Location"] == "/ui/login"


def test_a_private_repository_answers_a_visitor_as_one_that_does_not_exist(
    client: Any, repo: str
) -> None:
    public = f"{repo}-pub"
    private = f"{repo}-priv"
    missing = f"{repo}-none"
    _push_as(client, public, "v1", public)
    _, digest = _push_as(client, private, "v1", private)
    _make_public(public)
    for there, absent in zip(_pages(private, digest), _pages(missing, digest), strict=True):
        seen, unseen = get(client, there), get(client, absent)
        assert seen.status_code == unseen.status_code == 404, there
        assert text(seen).replace(private, "NAME") == text(unseen).replace(missing, "NAME")
        assert digest not in text(seen)


def test_signed_in_people_see_which_repositories_are_public(client: Any, repo: str) -> None:
    public = f"{repo}-pub"
    private = f"{repo}-priv"
    _push_as(client, public, "v1", public)
    _push_as(client, private, "v1", private)
    _make_public(public)
    reader = user("reader", [(public, Level.PULL), (private, Level.PULL)])
    signed = _sign_in(client, reader.username or "", reader.secret or "")
    session = signed.headers["Set-Cookie"].split(";")[0]
    home = text(get(client, "/ui", session))
    assert ">Visibility<" in home

    def row(name: str) -> str:
        return home.split(f">{name}</a>", 1)[1].split("</tr>", 1)[0]

    assert ">public<" in row(public) and ">private<" in row(private)
    assert 'id="sign-in-link"' not in home


def test_making_a_repository_private_hides_it_from_visitors(client: Any, repo: str) -> None:
    from chalicelib.auth import principals

    public = f"{repo}-pub"
    _push_as(client, public, "v1", public)
    _make_public(public)
    assert f">{public}</a>" in text(get(client, "/ui"))
    principals.make_private(public)
    from chalicelib.auth import gate

    gate.reset()  # as the revocation bound would within seconds
    assert get(client, "/ui").status_code == 303  # nothing public left: sign in


def test_a_visitors_repositories_page_reads_the_listing_and_cached_patterns(
    client: Any, repo: str
) -> None:
    public = f"{repo}-pub"
    _push_as(client, public, "v1", public)
    _make_public(public)
    assert get(client, "/ui").status_code == 200  # reads the patterns once for the process
    with recording() as recorder:
        with recorder.window() as tally:
            assert get(client, "/ui").status_code == 200
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query"]
