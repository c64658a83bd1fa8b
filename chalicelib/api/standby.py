"""A standby region refuses writes (docs/regions.md).

Its table is a global-table replica and its bucket receives blobs by one-way S3 replication:
a push there would commit a manifest the primary sees (the table replicates both ways) over
blobs the primary never receives, and two regions taking writes would race the GC fence,
which is only safe within one region. Reads need nothing from the primary."""

from __future__ import annotations

from chalicelib.config import settings
from chalicelib.oci.errors import OCIError

READS = ("GET", "HEAD", "OPTIONS")


def refuse_writes(method: str) -> None:
    """Raise 405 UNSUPPORTED for a state change when this deployment is a standby."""
    current = settings()
    if not current.standby or method in READS:
        return
    where = f" ({current.primary_url})" if current.primary_url else ""
    raise OCIError(
        "UNSUPPORTED",
        f"this region is a read-only standby of the registry: push and change it in the "
        f"primary region{where}, or promote this region (docs/regions.md)",
        status=405,
    )
