"""The distribution token flow: the `Authorization` a client sends again after a 401.

Answered as docker does. A `Basic` challenge gets the credentials themselves. A `Bearer`
challenge gets a token from the challenge's realm for its service and scopes, plus the scopes
the client already knows it needs (one token then serves a whole push instead of one per
repository action); the credentials go to the realm as Basic, and without any the token is
anonymous (what a registry grants for public pulls). A token that stops working answers with
another 401 and its challenge: answering that one again is the refresh.

How the realm is reached and how a refusal is reported stay with each client (`berth push`
retries on its pooled connections and exits with a code; the admin client raises
RegistryError and may reach an in-process app; replication raises RemoteError), through
`TokenFetch`. Pure, so the runtime's replication and every berth/ client share it.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable
from typing import Protocol

from chalicelib.remote.basic_credentials import Credentials
from chalicelib.remote.challenge import Challenge, ChallengeError, parse_challenges


class TokenFetch(Protocol):
    def __call__(self, url: str, headers: dict[str, str]) -> bytes:
        """GET `url`: the body of a successful answer; raise the client's own error else."""
        ...


class NoTokenError(ValueError):
    """The realm answered, but its JSON holds no `token` (nor `access_token`)."""


def answerable(header: str | None, credentials: Credentials | None) -> Challenge | None:
    """The first challenge of a 401's `WWW-Authenticate` this client can answer: Bearer with a
    realm, or Basic when it has credentials. None for a missing or malformed header: the 401
    then stands."""
    try:
        challenges = parse_challenges(header or "")
    except ChallengeError:
        return None
    for challenge in challenges:
        if challenge.is_scheme("bearer") and "realm" in challenge.params:
            return challenge
        if challenge.is_scheme("basic") and credentials is not None:
            return challenge
    return None


def token_url(realm: str, service: str | None, scopes: Iterable[str]) -> str:
    """The token request: the realm (keeping its own query) with `service` and each scope."""
    query = [("service", service)] if service is not None else []
    query += [("scope", scope) for scope in scopes]
    if not query:
        return realm
    return realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)


def token_of(body: bytes, realm: str) -> str:
    """The token in a realm's answer (`token`, or OAuth2's `access_token`)."""
    try:
        document = json.loads(body)
        return str(document.get("token") or document["access_token"])
    except (ValueError, KeyError, AttributeError, TypeError):
        raise NoTokenError(f"no token in {realm}'s answer") from None


# The token spec: `expires_in` omitted means 60 seconds, and no token lives less than that.
DEFAULT_LIFETIME = 60
LONGEST_LIFETIME = 86400  # a longer claim is kept a day (asking again then costs little)


def lifetime_of(body: bytes) -> int:
    """Seconds a realm's token lives (`expires_in`), for keeping it: DEFAULT_LIFETIME when
    absent, unreadable or shorter."""
    try:
        value = json.loads(body).get("expires_in")
    except (ValueError, AttributeError):
        return DEFAULT_LIFETIME
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return DEFAULT_LIFETIME
    return int(max(DEFAULT_LIFETIME, min(value, LONGEST_LIFETIME)))


def authorization(
    challenge: Challenge,
    credentials: Credentials | None,
    fetch: TokenFetch,
    scopes: Iterable[str] = (),
) -> str | None:
    """The `Authorization` answering `challenge` (one of `answerable`'s), or None."""
    if challenge.is_scheme("basic"):
        return credentials.basic() if credentials is not None else None
    realm = challenge.params.get("realm")
    if not challenge.is_scheme("bearer") or realm is None:
        return None
    wanted = {*challenge.params.get("scope", "").split(" "), *scopes} - {""}
    headers = {"Accept": "application/json"}
    if credentials is not None:
        headers["Authorization"] = credentials.basic()
    url = token_url(realm, challenge.params.get("service"), sorted(wanted))
    return "Bearer " + token_of(fetch(url, headers), realm)
