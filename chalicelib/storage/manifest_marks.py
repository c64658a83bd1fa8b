"""What a tag item copies from its manifest item so that a pull, which reads one item, finds
it there: who verifiably signed the image (storage/signatures.py) and its scan verdict
(storage/scan_verdicts.py). Both are written on the manifest first and then on the tags
pointing at it; a tag move copies what it read and its transaction fails if the manifest's
marks changed meanwhile, so a verdict landing during a move is never lost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.storage.models import ManifestItem


@dataclass(frozen=True, slots=True)
class Marks:
    signers: frozenset[str] = frozenset()
    scan_verdict: str | None = None


NO_MARKS = Marks()


def of_item(item: Any) -> Marks:
    """From a manifest or tag item (either model: both carry the two attributes)."""
    return Marks(frozenset(str(s) for s in item.signers or ()), item.scan_verdict or None)


def unchanged(marks: Marks) -> Any:
    """A condition on the manifest item: its marks are still what was read."""
    signers = (
        ManifestItem.signers.does_not_exist()
        if not marks.signers
        else ManifestItem.signers == set(marks.signers)
    )
    verdict = (
        ManifestItem.scan_verdict.does_not_exist()
        if marks.scan_verdict is None
        else ManifestItem.scan_verdict == marks.scan_verdict
    )
    return signers & verdict
