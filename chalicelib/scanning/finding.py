"""One vulnerability found in one installed package: what the findings API, the CLI table,
SARIF and the CycloneDX report are all made from."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Finding:
    id: str
    package: str
    installed_version: str
    severity: str
    fixed_version: str
    purl: str
    path: str
    ecosystem: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    links: tuple[str, ...] = ()
    cvss_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["aliases"] = list(self.aliases)
        document["links"] = list(self.links)
        return document
