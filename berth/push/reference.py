"""REFERENCE of `berth push`: `[http[s]://]HOST[:PORT]/REPOSITORY[:TAG|@DIGEST]`.

Without a host (the first component has no '.' or ':' and is not `localhost`), the registry is
`--registry`, $BERTH_REGISTRY or the local default, as for the other `berth` commands. Plain HTTP
is used for loopback hosts, for `http://` and with `--plain-http`; HTTPS otherwise
(berth.client.registry_address).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from berth.client.registry_address import hostname_of, is_loopback
from berth.push.errors import ExitCode, PushError

_REPOSITORY = re.compile(
    r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$"
)
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")


@dataclass(frozen=True, slots=True)
class Target:
    registry: str  # base URL, no trailing slash
    repository: str
    tag: str | None
    digest: str | None

    def __str__(self) -> str:
        host = self.registry.split("://", 1)[1]
        suffix = f":{self.tag}" if self.tag else f"@{self.digest}"
        return f"{host}/{self.repository}{suffix}"


def _usage(message: str) -> PushError:
    return PushError(ExitCode.USAGE, message)


def parse_target(value: str, default_registry: str, plain_http: bool = False) -> Target:
    scheme = None
    rest = value
    for prefix in ("http://", "https://"):
        if value.startswith(prefix):
            scheme, rest = prefix[:-3], value[len(prefix) :]
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or scheme):
        host, path = first, remainder
        if scheme is None:
            scheme = "http" if plain_http or is_loopback(hostname_of(host)) else "https"
        registry = f"{scheme}://{host}"
    else:
        registry, path = default_registry.rstrip("/"), rest
    digest = tag = None
    if "@" in path:
        path, _, digest = path.partition("@")
        if not _DIGEST.match(digest):
            raise _usage(f"{value}: {digest!r} is not a sha256 digest")
    else:
        name, colon, maybe_tag = path.rpartition(":")
        if colon and "/" not in maybe_tag:
            path, tag = name, maybe_tag
        else:
            tag = "latest"
    if tag is not None and not _TAG.match(tag):
        raise _usage(f"{value}: {tag!r} is not a valid tag")
    if not _REPOSITORY.match(path):
        raise _usage(f"{value}: {path!r} is not a valid repository name")
    return Target(registry, path, tag, digest)
