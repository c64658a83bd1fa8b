"""An audit event and the keys it is stored under (pure: no AWS, no clock of its own).

The event and its keys live in chalicelib/storage/audit_event.py (storage stages them in the
transactions of the changes they record); this module keeps their names for its callers and
the cleaning of what callers choose (user agents, paths, unknown login names)."""

from __future__ import annotations

import hashlib

from chalicelib.storage.audit_event import Event as Event
from chalicelib.storage.audit_event import day_key as day_key
from chalicelib.storage.audit_event import principal_key as principal_key
from chalicelib.storage.audit_event import repository_key as repository_key
from chalicelib.storage.audit_event import since_key as since_key
from chalicelib.storage.audit_event import sort_key as sort_key

MAX_USER_AGENT = 256
MAX_PATH = 512

# Kinds of subject the log records (`user:alice`); `system:` and `unknown:` are the log's own.
SUBJECT_KINDS = ("user", "robot", "iam", "system", "unknown")


def subject_of(spelling: str) -> str:
    """The subject the log files a principal under, from any spelling a client prints: the
    login `robot$ci` and `robot:ci` are one robot, a bare `alice` is the user `user:alice`."""
    if spelling.startswith("robot$"):
        return "robot:" + spelling[len("robot$") :]
    kind, colon, _ = spelling.partition(":")
    if colon and kind in SUBJECT_KINDS:
        return spelling
    return "user:" + spelling


def anonymised(name: str) -> str:
    """A login name nobody is known by, as stored: people type passwords into the user field,
    so an unknown name is kept only as a digest (enough to see one name tried many times)."""
    return "unknown:" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def clean(text: str | None, limit: int) -> str | None:
    """Printable ASCII, cut to `limit` (user agents and paths are the caller's to choose)."""
    if text is None:
        return None
    return "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in text[:limit])
