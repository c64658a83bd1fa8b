"""Where a registry is, however a user named it: `https://r.example.com`, `r.example.com:443`,
`127.0.0.1:5402`. A name without a scheme means HTTPS, except a loopback host (`localhost`,
127.0.0.0/8, `::1`) which means HTTP: `berth serve` listens there without TLS, and podman and
docker treat loopback registries as plain HTTP too. One rule for `--registry`, $BERTH_REGISTRY,
`berth login` and `berth push` references."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

DEFAULT_REGISTRY = "http://127.0.0.1:5000"


def is_loopback(hostname: str) -> bool:
    """`localhost`, 127.0.0.0/8 or ::1 (with or without brackets)."""
    name = hostname.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def hostname_of(host: str) -> str:
    """`host:port` without the port (`[::1]:5000` -> `[::1]`)."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def base_url(value: str) -> str:
    """The registry's base URL, scheme included and no trailing slash."""
    value = value.strip().rstrip("/")
    if "://" in value:
        return value
    scheme = "http" if is_loopback(hostname_of(value.split("/", 1)[0])) else "https"
    return f"{scheme}://{value}"


def registry_url(value: str | None) -> str:
    """`--registry`, else $BERTH_REGISTRY, else the local default, as a base URL."""
    return base_url(value or os.environ.get("BERTH_REGISTRY") or DEFAULT_REGISTRY)


def host_of(url: str) -> str:
    """`host:port` of a base URL: the key credential files use."""
    return urlsplit(base_url(url)).netloc
