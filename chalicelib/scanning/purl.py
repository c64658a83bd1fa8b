"""Package URLs (purl spec): the identity every SBOM and finding carries for a package."""

from __future__ import annotations

from urllib.parse import quote

# Characters a purl leaves unencoded in a segment (the spec never requires ":" encoded).
_SAFE = ".-_~+:"


def _encode(value: str) -> str:
    return quote(value, safe=_SAFE)


def purl(
    kind: str,
    name: str,
    version: str,
    namespace: str = "",
    qualifiers: dict[str, str] | None = None,
) -> str:
    """`pkg:type/namespace/name@version?qualifiers`; qualifiers sorted, empty ones left out.
    A namespace may hold '/' (npm scopes are passed whole and encoded, '@' included)."""
    parts = [f"pkg:{kind}/"]
    if namespace:
        parts.append("/".join(_encode(segment) for segment in namespace.split("/")) + "/")
    parts.append(_encode(name))
    if version:
        parts.append("@" + _encode(version))
    kept = sorted((k, v) for k, v in (qualifiers or {}).items() if v)
    if kept:
        parts.append("?" + "&".join(f"{k}={_encode(v)}" for k, v in kept))
    return "".join(parts)
