"""What a scan could not judge: OS packages no advisory source covers (Amazon Linux, Fedora,
CentOS have no OSV ecosystem). Said in the report, the CLI and the page, so an Amazon Linux
image does not read as "0 findings, clean" when nothing was matched at all."""

from __future__ import annotations

from collections import Counter

from chalicelib.scanning.inventory import Inventory
from chalicelib.scanning.package_ecosystem import ecosystem_of

_NAMES = {"amzn": "Amazon Linux", "fedora": "Fedora", "centos": "CentOS"}


def _distribution(inventory: Inventory) -> str:
    os = inventory.os
    if os is None:
        return "an image with no os-release"
    name = _NAMES.get(os.id, os.pretty_name or os.id)
    if os.id in _NAMES and os.version_id:
        name = f"{name} {os.version_id}"
    return name


def not_covered(inventory: Inventory) -> list[str]:
    """One sentence per package manager whose packages no advisory ecosystem covers."""
    kinds = Counter(p.kind for p in inventory.packages if ecosystem_of(p, inventory.os) is None)
    return [
        f"not covered: no advisory source for the {count} {kind} packages of "
        f"{_distribution(inventory)} (inventoried, not matched)"
        for kind, count in sorted(kinds.items())
    ]
