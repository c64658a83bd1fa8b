"""Revocation that reaches every warm function within a bound, with no AWS call per request.

Without it, an access token (`token_ttl`, 5 min) and a cached Basic login (as long) outlive
the disable, revoke, delete, password change or grant removal that should end them. So each
of those writes one item, `REVOKED / <subject>` with `revoked_at` (`record`), and the gate
refuses a token issued, or a cached login made, at or before that time.

The gate reads the whole `REVOKED` partition (ONE consistent Query) at most once per
`BERTH_REVOCATION_REFRESH` seconds (default 15) per process (`View`): a revocation takes
effect everywhere within that many seconds, and a warm request between two reads makes no
AWS call. Entries are kept (TTL) long after every token they could refuse has expired, and
read only while they can still matter (`HORIZON`), so the partition stays small.

Granularity: tokens carry their issue time in milliseconds (`iat_ms`; `iat` is whole
seconds). A token issued in the same millisecond as a revocation is refused too, so the token
endpoint dates a new token at least a millisecond after its subject's last revocation
(`issued_after`): a login right after a password change works.
`iam:*` revokes every IAM caller (an IAM mapping changed: which ARNs it covered is not known).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

from chalicelib.auth.models import REVOKED_PARTITION, RevocationItem

ALL_IAM = "iam:*"
# A public pattern was removed: every token that holds access through a public pattern
# (`Claims.public`) and every cached list of public patterns older than this is stale.
PUBLIC = "public:*"
# A pattern was made public: no token loses anything (no subject is named so), but every
# cached list of public patterns older than this is read again, so an anonymous pull is let
# through within the same bound as a removal takes effect.
PUBLIC_ADDED = "public:added"
# Older revocations cannot refuse anything: every token and cached login is younger.
HORIZON = 6 * 3600.0
KEEP = 24 * 3600
DEFAULT_REFRESH = 15.0


def record(subject: str, *, now: float | None = None) -> float:
    """`subject` loses every token and cached login it holds now; returns the time recorded."""
    current = time.time() if now is None else now
    RevocationItem(
        REVOKED_PARTITION, subject, revoked_at=current, expires_at=int(current + KEEP)
    ).save()
    return current


def read_all(now: float | None = None) -> dict[str, float]:
    """Every revocation that can still matter: subject -> revoked_at (one Query, paged)."""
    current = time.time() if now is None else now
    found: dict[str, float] = {}
    start = None
    while True:
        page = RevocationItem._get_connection().query(
            REVOKED_PARTITION, consistent_read=True, exclusive_start_key=start
        )
        for raw in page.get("Items", []):
            item = RevocationItem.from_raw_data(raw)
            if item.revoked_at > current - HORIZON:
                found[item.sk] = float(item.revoked_at)
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def latest(entries: Mapping[str, float], subject: str) -> float | None:
    """When `subject` was last revoked (counting `iam:*` for IAM callers), or None."""
    times = [entries.get(subject)]
    if subject.startswith("iam:"):
        times.append(entries.get(ALL_IAM))
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _ms(seconds: float) -> int:
    return math.floor(seconds * 1000)


def token_refused(entries: Mapping[str, float], subject: str, issued_at_ms: int) -> bool:
    """Issued (`iat_ms`) at or before its subject's last revocation (to the millisecond)?"""
    revoked = latest(entries, subject)
    return revoked is not None and issued_at_ms <= _ms(revoked)


def issued_after(entries: Mapping[str, float], subject: str, now: float) -> float:
    """The issue time to give a token issued `now`: `now`, or the millisecond after the
    subject's last revocation when that falls in the same millisecond (clock skew aside)."""
    revoked = latest(entries, subject)
    if revoked is None or _ms(now) > _ms(revoked):
        return now
    return (_ms(revoked) + 1.5) / 1000  # inside the next millisecond, float rounding aside


class View:
    """A process's copy of the revocations, re-read at most once per `refresh` seconds."""

    def __init__(
        self,
        refresh: float = DEFAULT_REFRESH,
        *,
        clock: Callable[[], float] = time.monotonic,
        read: Callable[[], dict[str, float]] = read_all,
    ) -> None:
        self.refresh = refresh
        self._clock = clock
        self._read = read
        self._lock = threading.Lock()
        self._loaded_at: float | None = None
        self._entries: dict[str, float] = {}

    def entries(self) -> Mapping[str, float]:
        now = self._clock()
        loaded = self._loaded_at
        if loaded is None or now - loaded >= self.refresh:
            with self._lock:
                loaded = self._loaded_at
                if loaded is None or now - loaded >= self.refresh:
                    self._entries = self._read()
                    self._loaded_at = now
        return self._entries

    def token_refused(self, subject: str, issued_at_ms: int) -> bool:
        return token_refused(self.entries(), subject, issued_at_ms)

    def login_refused(self, subject: str, logged_in_at: float) -> bool:
        """A cached login made at (wall clock) `logged_in_at`: still good?"""
        revoked = latest(self.entries(), subject)
        return revoked is not None and logged_in_at <= revoked
