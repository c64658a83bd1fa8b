"""A registry at a URL, reached as one principal: requests that answer a 401's challenge
(chalicelib/remote/token_flow.py) and send again, keeping the token for what follows.

The scopes asked for up front are pull and push on the repository being written (plus pull
on a mount's source), so one token serves a whole image. A streamed body cannot be sent
twice: `ensure_authorized` runs a cheap request first so the stream goes out with a token.

A `TokenStore` (the pull-through cache's: chalicelib/cache/upstream_tokens.py) keeps a token
past this session, per registry, principal and scopes, for as long as the realm said it
lives; a 429 is raised as RateLimited with its `Retry-After`."""

from __future__ import annotations

import hashlib
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.remote import retry_after, token_flow
from chalicelib.remote.basic_credentials import Credentials
from chalicelib.remote.transport import Answer, Body, RateLimited, RemoteError, Transport

TokenKey = tuple[str, ...]


class TokenStore(Protocol):
    """Bearer tokens kept across sessions (and so across requests of one process)."""

    def get(self, key: TokenKey) -> str | None: ...

    def put(self, key: TokenKey, authorization: str, lifetime: int) -> None: ...

    def drop(self, key: TokenKey, authorization: str) -> None: ...


def rate_limited(what: str, answer: Answer) -> RateLimited:
    wait = retry_after.seconds(answer.header("retry-after"), time.time())
    return RateLimited(f"{what}: 429 (retry after {wait} s)", wait)


@dataclass
class RemoteRegistry:
    base_url: str  # scheme://host[:port], no trailing slash
    credentials: Credentials | None = None
    transport: Transport = field(default_factory=Transport)
    # ECR: the `Authorization` comes from GetAuthorizationToken, not a challenge.
    fixed_authorization: Callable[[], str] | None = None
    tokens: TokenStore | None = None
    _authorization: str | None = None
    _scopes: tuple[str, ...] = ()
    _checked: bool = False  # a request answered without 401: streams may go out

    def clone(self) -> RemoteRegistry:
        """The same principal on connections of its own (one per thread), keeping the token."""
        twin = RemoteRegistry(
            self.base_url, self.credentials,
            Transport(self.transport.timeout, self.transport.guard),
            self.fixed_authorization, self.tokens,
        )  # fmt: skip
        twin._authorization, twin._scopes = self._authorization, self._scopes
        twin._checked = self._checked
        return twin

    def url(self, path_or_url: str) -> str:
        return urllib.parse.urljoin(self.base_url + "/", path_or_url)

    def want(self, *scopes: str) -> None:
        """Scopes every token should carry from now on (a new one is asked on the next 401)."""
        missing = [s for s in scopes if s not in self._scopes]
        if missing:
            self._scopes = (*self._scopes, *missing)

    def _fetch_token(self, url: str, headers: dict[str, str]) -> bytes:
        answer = self.transport.request("GET", url, headers)
        if answer.status == 429:
            raise rate_limited("token realm", answer)
        if answer.status != 200:
            raise RemoteError(f"token realm answered {answer.status}")
        return answer.body

    def _token_key(self) -> TokenKey:
        """Whose token for what: the registry, a fingerprint of the credentials (never the
        secret itself), and the scopes wanted."""
        who = self.credentials.basic() if self.credentials is not None else ""
        fingerprint = hashlib.sha256(who.encode()).hexdigest()[:16] if who else "anonymous"
        return (self.base_url, fingerprint, *sorted(self._scopes))

    def _stored(self) -> None:
        """Take a kept token when this session has none yet."""
        if self._authorization is None and self.tokens is not None:
            self._authorization = self.tokens.get(self._token_key())

    def _answer(self, challenge_header: str | None) -> str | None:
        challenge = token_flow.answerable(challenge_header, self.credentials)
        if challenge is None:
            return None
        bodies: list[bytes] = []

        def fetch(url: str, headers: dict[str, str]) -> bytes:
            bodies.append(self._fetch_token(url, headers))
            return bodies[-1]

        try:
            found = token_flow.authorization(challenge, self.credentials, fetch, self._scopes)
        except token_flow.NoTokenError as error:
            raise RemoteError(str(error)) from None
        if found is not None and bodies and self.tokens is not None:
            self.tokens.put(self._token_key(), found, token_flow.lifetime_of(bodies[-1]))
        return found

    def request(
        self,
        method: str,
        path_or_url: str,
        headers: dict[str, str] | None = None,
        body: Body = None,
    ) -> Answer:
        url = self.url(path_or_url)
        sent = dict(headers or {})
        if self._authorization is None and self.fixed_authorization is not None:
            self._authorization = self.fixed_authorization()
        self._stored()
        if self._authorization is not None:
            sent["Authorization"] = self._authorization
        answer = self.transport.request(method, url, sent, body)
        if answer.status == 429:
            raise rate_limited(f"{method} {urllib.parse.urlsplit(url).path[:120]}", answer)
        if answer.status != 401:
            self._checked = True
            return answer
        if self.tokens is not None and self._authorization is not None:
            self.tokens.drop(self._token_key(), self._authorization)  # expired or revoked
        if self.fixed_authorization is not None:
            self._authorization = self.fixed_authorization()
        else:
            self._authorization = self._answer(answer.header("www-authenticate"))
        if self._authorization is None or not (body is None or isinstance(body, bytes)):
            return answer
        answer = self.transport.request(
            method, url, {**sent, "Authorization": self._authorization}, body
        )
        if answer.status == 429:
            raise rate_limited(f"{method} {urllib.parse.urlsplit(url).path[:120]}", answer)
        self._checked = self._checked or answer.status != 401
        return answer

    def authorization(self) -> str | None:
        """The `Authorization` the next request would carry (streams sent or read outside
        `request` use it: chalicelib/remote/blob_download.py)."""
        if self._authorization is None and self.fixed_authorization is not None:
            self._authorization = self.fixed_authorization()
        self._stored()
        return self._authorization

    def ensure_authorized(self, repository: str) -> None:
        """Have a token before a streamed body goes out (a GET of the repository's tags),
        unless a request was already answered (then the token in hand serves, or none is
        needed)."""
        if not self._checked:
            self.request("GET", f"/v2/{repository}/tags/list?n=1")

    def close(self) -> None:
        self.transport.close()
