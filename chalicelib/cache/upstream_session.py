"""The upstream of a rule as a remote registry: its origin, and the credentials the rule
names (read from SSM or Secrets Manager when upstream is contacted, never stored here).
Without credentials the token flow asks for an anonymous token, which is what public
images on Docker Hub, ghcr.io, quay.io and public ECR need. Tokens are kept for the next
request while they live (chalicelib/cache/upstream_tokens.py); an upstream inside a 429's
`Retry-After` is not contacted at all (chalicelib/cache/upstream_backoff.py). Every connection
goes to an address the rule may reach (chalicelib/cache/upstream_guard.py)."""

from __future__ import annotations

from chalicelib.cache import upstream_backoff, upstream_guard
from chalicelib.cache.rules import CacheRule
from chalicelib.cache.upstream_tokens import tokens
from chalicelib.remote.session import RemoteRegistry
from chalicelib.remote.transport import RateLimited, Transport

# An upstream that does not answer within this is treated as down (the cached copy serves).
TIMEOUT_SECONDS = 10.0


def registry_for(rule: CacheRule) -> RemoteRegistry:
    """A session with the rule's upstream; RateLimited while upstream asked to be left alone."""
    wait = upstream_backoff.waiting(rule.upstream.url)
    if wait is not None:
        raise RateLimited(f"upstream asked for no requests for {wait} s more", wait)
    credentials = None
    if rule.ssm or rule.secret:
        from chalicelib.replication.destinations import Destination
        from chalicelib.replication.secret_refs import credentials as read_credentials

        reference = Destination("registry", url=rule.upstream.url, ssm=rule.ssm, secret=rule.secret)
        credentials = read_credentials(reference)
    guard = upstream_guard.guard(rule.allow_networks).address
    return RemoteRegistry(
        rule.upstream.url, credentials, Transport(TIMEOUT_SECONDS, guard), tokens=tokens
    )
