"""Auth settings, read once from the environment (kept apart from `chalicelib.config`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

PREVIOUS_SUFFIX = "-previous"


def previous_alias(alias: str) -> str | None:
    """The alias of the key before `alias`'s (None when the key is not named by an alias):
    `berth keys rotate` moves the current key there."""
    return alias + PREVIOUS_SUFFIX if alias.startswith("alias/") else None


@dataclass(frozen=True, slots=True)
class AuthSettings:
    # `BERTH_AUTH=off` serves everyone everything (the local server's opt-out); on otherwise.
    enabled: bool
    # The token `aud` and the challenge's `service`.
    service: str
    # The token `iss`.
    issuer: str
    # KMS key (id, ARN or alias) that signs tokens.
    signing_key: str
    # Its predecessor, whose tokens still verify after a rotation (None: no rotation).
    previous_signing_key: str | None
    # Which keys the aliases name is asked again at most this often (seconds).
    key_resolve_every: float
    # Access tokens live this long (seconds, at least 60).
    token_ttl: int
    # Tokens that claim a longer life (`exp - iat`) are refused (at least `token_ttl`).
    token_max_lifetime: int
    # Refresh tokens (`offline_token=true`) live this long unless revoked.
    refresh_ttl: int
    # Failed logins allowed per (name, source address), per source address, and per name
    # from all addresses together (the backstop; not for robots and IAM), in one window.
    max_failures_per_name: int
    max_failures_per_ip: int
    max_failures_per_name_global: int
    failure_window: int
    # A warm function re-reads the revocations at most this often (seconds): the bound on how
    # long a revoked principal's tokens and cached logins keep working.
    revocation_refresh: float
    # `X-Forwarded-Host` values the Bearer challenge's realm may name (lower case host[:port]):
    # those a proxy in front of the registry sets. Anything else is the client's say-so and
    # is ignored, so a client cannot point the realm (where credentials go) elsewhere.
    trusted_forwarded_hosts: frozenset[str]


@lru_cache(maxsize=1)
def auth_settings() -> AuthSettings:
    env = os.environ
    service = env.get("BERTH_SERVICE", "berth")
    token_ttl = max(60, int(env.get("BERTH_TOKEN_TTL", "300")))
    return AuthSettings(
        enabled=env.get("BERTH_AUTH", "on").lower() not in {"off", "0", "false", "no"},
        service=service,
        issuer=env.get("BERTH_TOKEN_ISSUER", service),
        signing_key=env.get("BERTH_TOKEN_KEY", "alias/berth-token"),
        previous_signing_key=env.get("BERTH_TOKEN_PREVIOUS_KEY")
        or previous_alias(env.get("BERTH_TOKEN_KEY", "alias/berth-token")),
        # 0: on every use (two GetPublicKey calls a request): for tests of a running server only
        key_resolve_every=max(0.0, float(env.get("BERTH_TOKEN_KEY_RESOLVE", "300"))),
        token_ttl=token_ttl,
        token_max_lifetime=max(token_ttl, int(env.get("BERTH_TOKEN_MAX_LIFETIME", "0"))),
        refresh_ttl=int(env.get("BERTH_REFRESH_TTL", str(90 * 24 * 3600))),
        max_failures_per_name=int(env.get("BERTH_LOGIN_FAILURES_PER_NAME", "10")),
        max_failures_per_ip=int(env.get("BERTH_LOGIN_FAILURES_PER_IP", "30")),
        max_failures_per_name_global=int(env.get("BERTH_LOGIN_FAILURES_PER_NAME_GLOBAL", "1000")),
        failure_window=int(env.get("BERTH_LOGIN_FAILURE_WINDOW", "300")),
        revocation_refresh=max(1.0, float(env.get("BERTH_REVOCATION_REFRESH", "15"))),
        trusted_forwarded_hosts=frozenset(
            host.strip().lower()
            for host in env.get("BERTH_TRUSTED_FORWARDED_HOSTS", "").split(",")
            if host.strip()
        ),
    )
