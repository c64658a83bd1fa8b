"""What a lifecycle run did (or, dry, would do): per repository, and for a whole run.

These are the documents `POST .../_berth/lifecycle` answers and the daily run logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class RepoRun:
    name: str
    dry_run: bool
    policy_version: int
    rollback_window: int
    manifests: int = 0
    expire: list[dict[str, Any]] = field(default_factory=list)  # digest, rule, tags
    kept: list[dict[str, str]] = field(default_factory=list)  # selected, but kept: why
    deleted: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # digest, why not deleted
    # Blob links no remaining manifest references (dry run: that would be) unlinked.
    unlink: list[dict[str, Any]] = field(default_factory=list)  # digest, size
    unlink_complete: bool = True  # False: the unlink lease was held or ran short
    # When this plan can next differ with nothing changed (None: never); not in the document.
    next_due: datetime | None = None

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dryRun": self.dry_run,
            "policyVersion": self.policy_version,
            "rollbackWindow": self.rollback_window,
            "manifests": self.manifests,
            "expire": self.expire,
            "kept": self.kept,
            "deleted": self.deleted,
            "skipped": self.skipped,
            "unlink": self.unlink,
            "unlinkBytes": sum(int(link["size"]) for link in self.unlink),
            "unlinkComplete": self.unlink_complete,
        }


@dataclass(slots=True)
class Report:
    dry_run: bool
    complete: bool = True
    repositories: list[RepoRun] = field(default_factory=list)
    seconds: float = 0.0

    def document(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "complete": self.complete,
            "expire": sum(len(r.expire) for r in self.repositories),
            "deleted": sum(len(r.deleted) for r in self.repositories),
            "skipped": sum(len(r.skipped) for r in self.repositories),
            "unlink": sum(len(r.unlink) for r in self.repositories),
            "repositories": [r.document() for r in self.repositories],
            "seconds": round(self.seconds, 3),
        }
