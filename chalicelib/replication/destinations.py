"""Where a rule copies images to, as an admin writes it and as the table keeps it.

    {"kind": "registry", "url": "https://ghcr.io", "prefix": "org/",
     "credentials": {"ssm": "/berth/ghcr"} | {"secretsmanager": "arn:..."}}
    {"kind": "berth", "url": "https://berth.other.example", "credentials": ...}
    {"kind": "ecr", "account": "123456789012", "region": "eu-west-1", "prefix": "berth-"}

Credentials are never in the table: only the name of an SSM SecureString or a Secrets
Manager secret holding `username:password` or {"username","password"}, read when copying,
and only under `berth/<stage>/replication/` (what the function's policy lets it read).

ECR names are one segment here: `team/web` becomes `<prefix>team-web`, because Lambda's
`ImageUri` names the repository after the last `/` in tools that resolve it that way
(moto), and one segment is what every consumer of ECR handles alike."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

KINDS = ("registry", "berth", "ecr")
MAX_DESTINATIONS = 10
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d")
_PREFIX = re.compile(r"([a-z0-9]+([._/-][a-z0-9]+)*[._/-]?)?")
_REFERENCE = re.compile(r"[A-Za-z0-9_./:@+=,-]{1,2048}")


class DestinationError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Destination:
    kind: str
    url: str | None = None  # registry, berth
    account: str | None = None  # ecr
    region: str | None = None  # ecr
    prefix: str = ""
    ssm: str | None = None  # the parameter holding the credentials
    secret: str | None = None  # the Secrets Manager secret holding them
    # Private networks an admin let this destination reach (as a webhook's allowNetworks).
    allow_networks: tuple[str, ...] = ()

    def repository(self, source: str) -> str:
        """The repository name at the destination."""
        if self.kind == "ecr":
            return self.prefix + source.replace("/", "-")
        return self.prefix + source

    def describe(self) -> str:
        if self.kind == "ecr":
            return f"ecr:{self.account}/{self.region}"
        return str(self.url)

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for key in ("url", "account", "region"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.prefix:
            out["prefix"] = self.prefix
        if self.ssm:
            out["credentials"] = {"ssm": self.ssm}
        elif self.secret:
            out["credentials"] = {"secretsmanager": self.secret}
        if self.allow_networks:
            out["allowNetworks"] = list(self.allow_networks)
        return out


MAX_ALLOWED_NETWORKS = 10


def _allow_networks(value: Any) -> tuple[str, ...]:
    """Networks a destination may reach although private (CIDRs, checked)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DestinationError("allowNetworks is a list of CIDRs such as 10.20.0.0/16")
    if len(value) > MAX_ALLOWED_NETWORKS:
        raise DestinationError(f"at most {MAX_ALLOWED_NETWORKS} allowNetworks")
    from chalicelib.events import targets

    try:
        return tuple(str(n) for n in targets.networks(value))
    except ValueError as error:
        raise DestinationError(f"allowNetworks: {error}") from None


def _url(value: Any, allow_http: bool) -> str:
    if not isinstance(value, str):
        raise DestinationError("url is required")
    parts = urllib.parse.urlsplit(value)
    allowed = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in allowed or not parts.hostname or parts.path not in ("", "/"):
        raise DestinationError(
            f"url is {' or '.join(allowed)}://host[:port] with no path, not {value[:100]!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


def _under(reference: str, path: str) -> bool:
    name = reference.split(":secret:", 1)[1] if ":secret:" in reference else reference
    return name.lstrip("/").startswith(path)


def _credentials(value: Any, path: str) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict) or len(value) != 1:
        raise DestinationError('credentials are {"ssm": NAME} or {"secretsmanager": ID}')
    ((kind, reference),) = value.items()
    if kind not in ("ssm", "secretsmanager") or not isinstance(reference, str):
        raise DestinationError('credentials are {"ssm": NAME} or {"secretsmanager": ID}')
    if _REFERENCE.fullmatch(reference) is None:
        raise DestinationError(f"{reference[:80]!r} is not a parameter name or secret id")
    if not _under(reference, path):
        raise DestinationError(f"the function may read only credentials under {path!r}")
    return (reference, None) if kind == "ssm" else (None, reference)


def parse(value: Any, *, allow_http: bool = False, secret_path: str = "") -> Destination:
    """A destination as an admin gave it; credential references must lie under
    `secret_path` (`berth/<stage>/replication/`: all the function's policy may read)."""
    if not isinstance(value, dict):
        raise DestinationError("a destination is a JSON object")
    if "password" in value or "username" in value or "token" in value:
        raise DestinationError("credentials are referenced from SSM or Secrets Manager, not given")
    kind = value.get("kind")
    if kind not in KINDS:
        raise DestinationError(f"kind is one of {', '.join(KINDS)}")
    prefix = value.get("prefix", "")
    if not isinstance(prefix, str) or len(prefix) > 100 or _PREFIX.fullmatch(prefix) is None:
        raise DestinationError("prefix is lower-case name components, ending in a separator")
    ssm, secret = _credentials(value.get("credentials"), secret_path)
    if kind == "ecr":
        account, region = value.get("account"), value.get("region")
        if not isinstance(account, str) or _ACCOUNT.fullmatch(account) is None:
            raise DestinationError("account is the 12-digit AWS account id")
        if not isinstance(region, str) or _REGION.fullmatch(region) is None:
            raise DestinationError("region is an AWS region name")
        if ssm or secret:
            raise DestinationError("ECR needs no credentials: the function's role pushes")
        if value.get("allowNetworks"):
            raise DestinationError(
                "ECR is reached through AWS's endpoint: allowNetworks is for URLs"
            )
        return Destination(kind, account=account, region=region, prefix=prefix)
    return Destination(
        kind,
        url=_url(value.get("url"), allow_http),
        prefix=prefix,
        ssm=ssm,
        secret=secret,
        allow_networks=_allow_networks(value.get("allowNetworks")),
    )


def from_documents(documents: list[dict[str, Any]]) -> list[Destination]:
    """As stored (already checked when the rule was made)."""
    return [parse(d, allow_http=True) for d in documents]
