"""Lifecycle rules in the spirit of ECR's, and their evaluation into a plan.

The stored form is a JSON document (chalicelib/lifecycle/document.py); the executor that
deletes what a plan expires is chalicelib/lifecycle/deleter.py, run by executor.py.

Rules are applied in priority order; each image (a manifest with its tags) is decided by the
first rule that selects it, as in ECR, so a lower rule can never expire what a higher one
selected. Whatever the rules say, a plan never expires:
- a manifest inside a tag's rollback window (the last N moves of each tag),
- a pinned manifest (e.g. one an immutable tag points at: deleting it would be refused),
- a child of a kept index, nor a referrer (signature, SBOM) of a kept manifest, transitively.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from fnmatch import fnmatchcase


class TagStatus(Enum):
    TAGGED = "tagged"  # images with a tag matching one of the patterns
    UNTAGGED = "untagged"
    ANY = "any"


class CountType(Enum):
    MORE_THAN = "imageCountMoreThan"  # keep the newest `value`, expire the rest
    SINCE_PUSHED = "sinceImagePushed"  # expire older than `value` days since push
    SINCE_PULLED = "sinceImagePulled"  # expire not pulled for `value` days (push if never)


@dataclass(frozen=True, slots=True)
class Rule:
    priority: int
    tag_status: TagStatus
    count_type: CountType
    value: int
    patterns: tuple[str, ...] = ()  # globs, for TAGGED only
    description: str = ""

    def selects(self, tags: Iterable[str]) -> bool:
        names = list(tags)
        if self.tag_status is TagStatus.UNTAGGED:
            return not names
        if self.tag_status is TagStatus.ANY:
            return True
        return any(fnmatchcase(t, p) for t in names for p in self.patterns)

    def label(self) -> str:
        what = self.tag_status.value
        if self.patterns:
            what += f" {', '.join(self.patterns)}"
        how = {
            CountType.MORE_THAN: f"more than {self.value} images",
            CountType.SINCE_PUSHED: f"pushed more than {self.value} days ago",
            CountType.SINCE_PULLED: f"not pulled for {self.value} days",
        }[self.count_type]
        return f"rule {self.priority} ({what}: {how})"


@dataclass(frozen=True, slots=True)
class Manifest:
    digest: str
    pushed_at: datetime
    last_pulled_at: datetime | None = None
    children: tuple[str, ...] = ()  # manifests of an index
    subject: str | None = None  # the manifest this one refers to


@dataclass(frozen=True, slots=True)
class Plan:
    expire: dict[str, str]  # digest -> the rule that expires it
    keep: set[str]
    rescued: dict[str, str] = field(default_factory=dict)  # selected, but kept: why

    def dry_run(self) -> list[str]:
        """What the policy would do, one line per affected manifest, expirations first."""
        lines = [f"expire {d}  {why}" for d, why in sorted(self.expire.items())]
        lines += [f"keep   {d}  {why}" for d, why in sorted(self.rescued.items())]
        return lines


def rollback_window(
    moves_by_tag: Mapping[str, Iterable[tuple[str | None, str | None]]], n: int
) -> set[str]:
    """Every digest the last `n` moves (from, to; oldest first) of each tag moved away from:
    the manifests `berth rollback` can return to in `n` steps.

    A tag's current target is not in its window: it is the image the rules judge (a tagged
    rule may expire it, deleting its tags, as ECR does). Otherwise a tag moved once (`v1`,
    `v2`, ...) could never expire and "keep the last N releases" would keep them all."""
    window: set[str] = set()
    for moves in moves_by_tag.values():
        for before, _after in list(moves)[-n:] if n > 0 else []:
            if before is not None:
                window.add(before)
    return window


def evaluate(
    manifests: Iterable[Manifest],
    tags: Mapping[str, str],
    rules: Iterable[Rule],
    now: datetime,
    *,
    protected: Iterable[str] = (),
    pinned: Iterable[str] = (),
) -> Plan:
    """The plan for one repository: `tags` maps tag -> digest."""
    by_digest = {m.digest: m for m in manifests}
    tags_of: dict[str, list[str]] = {d: [] for d in by_digest}
    for tag, digest in tags.items():
        if digest in tags_of:
            tags_of[digest].append(tag)
    chosen: dict[str, str] = {}
    claimed: set[str] = set()
    for rule in sorted(rules, key=lambda r: r.priority):
        selected = [
            by_digest[d] for d in sorted(by_digest) if d not in claimed and rule.selects(tags_of[d])
        ]
        claimed.update(m.digest for m in selected)
        for manifest in _expired_by(rule, selected, now):
            chosen[manifest.digest] = rule.label()
    rescued: dict[str, str] = {}
    for digest in set(protected) & chosen.keys():
        rescued[digest] = "inside a tag's rollback window"
    for digest in set(pinned) & chosen.keys():
        rescued[digest] = "pinned (an immutable tag points at it)"
    expire = {d: why for d, why in chosen.items() if d not in rescued}
    keep = set(by_digest) - expire.keys()
    _close(by_digest, keep, expire, rescued)
    return Plan(expire=expire, keep=keep, rescued=rescued)


def _expired_by(rule: Rule, selected: list[Manifest], now: datetime) -> list[Manifest]:
    if rule.count_type is CountType.MORE_THAN:
        newest_first = sorted(selected, key=lambda m: (m.pushed_at, m.digest), reverse=True)
        return newest_first[rule.value :]
    limit = now - timedelta(days=rule.value)
    if rule.count_type is CountType.SINCE_PUSHED:
        return [m for m in selected if m.pushed_at < limit]
    return [m for m in selected if (m.last_pulled_at or m.pushed_at) < limit]


def _close(
    by_digest: Mapping[str, Manifest],
    keep: set[str],
    expire: dict[str, str],
    rescued: dict[str, str],
) -> None:
    """Keep every child of a kept index and every referrer of a kept manifest, transitively."""
    referrers: dict[str, list[str]] = {}
    for manifest in by_digest.values():
        if manifest.subject is not None:
            referrers.setdefault(manifest.subject, []).append(manifest.digest)
    work = sorted(keep)
    while work:
        digest = work.pop()
        node = by_digest.get(digest)
        needed = [(c, f"child of kept index {digest}") for c in (node.children if node else ())]
        needed += [(r, f"referrer of kept manifest {digest}") for r in referrers.get(digest, [])]
        for other, why in needed:
            if other in expire:
                del expire[other]
                rescued[other] = why
                keep.add(other)
                work.append(other)


def next_change(
    manifests: Iterable[Manifest], rules: Iterable[Rule], now: datetime
) -> datetime | None:
    """The earliest moment after `now` at which the plan over these manifests, tags and rules
    can differ from the plan at `now` with nothing else changed; None: never by itself.

    Only the age rules depend on the clock: each manifest crosses a rule's limit once (its
    push, or last pull, plus the rule's days; strictly after it, it is expired). Counting every
    manifest under every age rule is early rather than late — a re-plan then finds nothing
    new — and so is a last pull seen: a later pull only moves the limit later."""
    ages = [r for r in rules if r.count_type is not CountType.MORE_THAN]
    crossings = [
        (
            m.pushed_at
            if r.count_type is CountType.SINCE_PUSHED
            else (m.last_pulled_at or m.pushed_at)
        )
        + timedelta(days=r.value)
        for m in manifests
        for r in ages
    ]
    return min((c for c in crossings if c >= now), default=None)
