"""What the inventory finds: one installed package, with what matching needs (the source
package, since distro advisories name sources) and a purl for SBOMs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Package:
    """`kind` is the package manager (deb, apk, rpm, pypi, npm, golang); `path` is the file
    that listed it, so a finding can say where it came from."""

    kind: str
    name: str
    version: str
    purl: str
    path: str
    source_name: str = ""
    source_version: str = ""
    arch: str = ""
    license: str = ""

    @property
    def match_name(self) -> str:
        """The name advisories use: the source package for distro packages when known."""
        return self.source_name or self.name

    @property
    def match_version(self) -> str:
        return self.source_version or self.version
