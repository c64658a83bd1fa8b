"""Where a cache rule's repositories come from: the upstream's URL as the runtime reaches it,
and the name a repository has there. Pure, so the mapping is tested with hypothesis.

Docker Hub is the one registry whose names differ from what users type: `docker.io/nginx`
is `library/nginx` on the wire, and its API is served by `registry-1.docker.io`, not by the
host people name it by. Every other registry (ghcr.io, quay.io, registry.k8s.io,
public.ecr.aws, any OCI URL) is reached at its own origin with the name unchanged."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

DOCKER_HUB_API = "https://registry-1.docker.io"
_DOCKER_HUB_HOSTS = ("docker.io", "index.docker.io", "registry-1.docker.io", "hub.docker.com")
# A cache prefix: lower-case name components ending in `/` (`hub/`, `mirror/ghcr/`).
_PREFIX = re.compile(r"[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*/")
MAX_PREFIX = 100


class UpstreamError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Upstream:
    url: str  # scheme://host[:port], what requests go to
    docker_hub: bool = False  # single-segment names get `library/`

    def repository(self, name: str) -> str:
        """The repository's name upstream, given its name below the cache prefix."""
        if self.docker_hub and "/" not in name:
            return f"library/{name}"
        return name


def parse_url(value: object, *, allow_http: bool = False) -> Upstream:
    """An upstream as an admin writes it (`https://ghcr.io`, `docker.io`, `quay.io`): a bare
    host means https; a path is refused (a registry's API lives at /v2/ of its origin)."""
    if not isinstance(value, str) or not value or len(value) > 300:
        raise UpstreamError("upstream is a registry URL such as https://ghcr.io")
    text = value if "://" in value else f"https://{value}"
    parts = urllib.parse.urlsplit(text)
    allowed = ("https", "http") if allow_http else ("https",)
    try:
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise UpstreamError(f"upstream {value[:100]!r} has an invalid port") from None
    if parts.scheme not in allowed or not parts.hostname or parts.path not in ("", "/"):
        raise UpstreamError(
            f"upstream is {' or '.join(allowed)}://host[:port] with no path, not {value[:100]!r}"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise UpstreamError("upstream has no query, fragment or credentials in it")
    if parts.hostname in _DOCKER_HUB_HOSTS:
        return Upstream(DOCKER_HUB_API, docker_hub=True)
    return Upstream(f"{parts.scheme}://{parts.netloc.lower()}")


def check_prefix(value: object) -> str:
    """A repository prefix (`hub/`): whole name components, so `hub/` never catches `hubx/`."""
    if not isinstance(value, str) or len(value) > MAX_PREFIX or not _PREFIX.fullmatch(value):
        raise UpstreamError("prefix is lower-case name components ending in '/', e.g. 'hub/'")
    return value


def below(prefix: str, name: str) -> str | None:
    """`name` without `prefix`, or None if it is not under it (or is the prefix alone)."""
    if not name.startswith(prefix) or len(name) == len(prefix):
        return None
    return name[len(prefix) :]
