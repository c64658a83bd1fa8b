"""The token flow (chalicelib/remote/token_flow.py): which challenge is answered, with what, and the
token request it makes; and the admin client's refresh of a token the registry refuses."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berth.client.berth_api import RegistryClient, RegistryError, Reply
from berth.client.credentials import Credentials
from chalicelib.remote import token_flow as token
from chalicelib.remote.challenge import Challenge

ALICE = Credentials("alice", "s3cret:with colon")
BEARER = 'Bearer realm="https://r.example/token?tenant=1",service="berth",scope="{}"'


class Realm:
    """A token endpoint that records what it was asked."""

    def __init__(self, answer: object = None) -> None:
        self.answer = {"token": "t0k"} if answer is None else answer
        self.asked: list[tuple[str, dict[str, str]]] = []

    def __call__(self, url: str, headers: dict[str, str]) -> bytes:
        self.asked.append((url, headers))
        return json.dumps(self.answer).encode()


def test_bearer_asks_the_realm_for_the_challenge_and_client_scopes() -> None:
    realm = Realm()
    challenge = token.answerable(BEARER.format("repository:a:pull"), ALICE)
    assert challenge is not None
    answer = token.authorization(challenge, ALICE, realm, ["repository:b:push", ""])
    assert answer == "Bearer t0k"
    [(url, headers)] = realm.asked
    assert url.startswith("https://r.example/token?tenant=1&")
    assert parse_qsl(urlsplit(url).query) == [
        ("tenant", "1"),
        ("service", "berth"),
        ("scope", "repository:a:pull"),
        ("scope", "repository:b:push"),
    ]
    assert headers == {"Accept": "application/json", "Authorization": ALICE.basic()}


def test_anonymous_bearer_token_and_oauth_answer() -> None:
    realm = Realm({"access_token": "anon"})
    challenge = token.answerable(BEARER.format("repository:a:pull"), None)
    assert challenge is not None
    assert token.authorization(challenge, None, realm) == "Bearer anon"
    assert "Authorization" not in realm.asked[0][1]


@pytest.mark.parametrize("answer", [{}, [], "x", {"token": None}])
def test_an_answer_without_a_token_is_refused(answer: object) -> None:
    challenge = Challenge("Bearer", {"realm": "https://r.example/token"})
    with pytest.raises(token.NoTokenError, match=r"r\.example"):
        token.authorization(challenge, ALICE, Realm(answer))


def test_basic_is_answered_with_the_credentials_only_when_there_are_some() -> None:
    assert token.answerable('Basic realm="r"', None) is None
    challenge = token.answerable('Basic realm="r"', ALICE)
    assert challenge is not None
    assert token.authorization(challenge, ALICE, Realm()) == ALICE.basic()


@pytest.mark.parametrize(
    ("header", "scheme"),
    [
        ('Negotiate abc=, Basic realm="r", Bearer realm="t"', "Basic"),
        ('Bearer service="no realm", Bearer realm="t"', "Bearer"),
        (None, None),
        ("", None),
        ('Bearer realm="unterminated', None),
        ('Digest realm="r", nonce="n"', None),
    ],
)
def test_the_first_answerable_challenge_is_chosen(header: str | None, scheme: str | None) -> None:
    challenge = token.answerable(header, ALICE)
    assert (challenge.scheme if challenge else None) == scheme


texts = st.text(max_size=20)


@given(texts, st.one_of(st.none(), texts), st.lists(texts, max_size=3))
def test_token_url_carries_service_and_scopes(
    query: str, service: str | None, scopes: list[str]
) -> None:
    realm = "https://r.example/token" + (
        "?" + query.replace("&", "").replace("#", "") if query else ""
    )
    url = token.token_url(realm, service, scopes)
    assert url.startswith(realm)
    sent = parse_qsl(url[len(realm) :].lstrip("?&"), keep_blank_values=True)
    expected = ([("service", service)] if service is not None else []) + [
        ("scope", scope) for scope in scopes
    ]
    assert sent == expected


class Registry:
    """An in-process registry whose tokens each serve `uses` requests, then are refused."""

    def __init__(self, uses: int) -> None:
        self.uses = uses
        self.issued = 0
        self.left: dict[str, int] = {}
        self.calls: list[tuple[str, str | None]] = []

    def __call__(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> Reply:
        authorization = headers.get("Authorization")
        self.calls.append((path, authorization))
        if path.startswith("/token"):
            if authorization != ALICE.basic():
                return Reply(401, {}, b"")
            self.issued += 1
            self.left[f"t{self.issued}"] = self.uses
            return Reply(200, {}, json.dumps({"token": f"t{self.issued}"}).encode())
        bearer = (authorization or "").removeprefix("Bearer ")
        if self.left.get(bearer, 0) <= 0:
            challenge = 'Bearer realm="https://localhost/token",service="berth",scope="x:y:pull"'
            return Reply(401, {"www-authenticate": challenge}, b"")
        self.left[bearer] -= 1
        return Reply(200, {}, b'{"repositories": []}')


def test_a_kept_token_is_used_until_refused_then_replaced() -> None:
    registry = Registry(uses=2)
    client = RegistryClient(registry, ALICE)
    for _ in range(3):
        assert client.repositories() == []
    assert registry.issued == 2
    assert [auth for path, auth in registry.calls if path.startswith("/token")] == [
        ALICE.basic(),
        ALICE.basic(),
    ]


def test_without_credentials_the_401_stands() -> None:
    registry = Registry(uses=1)
    with pytest.raises(RegistryError) as raised:
        RegistryClient(registry).repositories()
    assert raised.value.status == 401
    assert registry.issued == 0
