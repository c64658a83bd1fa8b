"""What `berth push` remembers between runs, in small JSON files under the state directory
(`--state`, else $XDG_CACHE_HOME/berth/push, else ~/.cache/berth/push):

- `uploads-<key>.json`, per registry and repository: the session URL and confirmed offset of each
  blob upload under way (or, for a direct-to-S3 upload, its session URL and the ETag of each
  part S3 has). A rerun after an interrupted push asks the registry for the session's
  status (GET) and sends only the rest; the entry goes when the blob is complete.
- `blobs-<key>.json`, per registry: which repositories a blob was pushed to, so a push of the same
  blob into another repository of that registry tries a cross-repository mount first.

Losing these files costs only time: blobs are always HEADed first.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

KNOWN_REPOSITORIES_PER_BLOB = 4
KNOWN_BLOBS = 5000


def default_directory() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "berth" / "push"


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


class _JsonFile:
    """A JSON object in a file, rewritten whole and atomically, shared between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        try:
            value = json.loads(path.read_text())
        except (OSError, ValueError):
            value = {}
        self.data: dict[str, Any] = value if isinstance(value, dict) else {}

    def save(self) -> None:
        """Write the data (call with the lock held). A write that fails is not fatal."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_text(json.dumps(self.data, sort_keys=True))
            temporary.replace(self.path)
        except OSError:
            pass


class PushState:
    def __init__(self, directory: Path, registry: str, repository: str) -> None:
        self.repository = repository
        self._uploads = _JsonFile(directory / f"uploads-{_key(registry, repository)}.json")
        self._known = _JsonFile(directory / f"blobs-{_key(registry)}.json")

    @property
    def uploads_path(self) -> Path:
        return self._uploads.path

    def upload(self, digest: str) -> tuple[str, int, int] | None:
        """The recorded session URL, offset and chunk size of `digest`'s upload, if one is
        under way."""
        with self._uploads.lock:
            entry = self._uploads.data.get(digest)
        if isinstance(entry, dict) and isinstance(entry.get("location"), str):
            return entry["location"], int(entry.get("offset", 0)), int(entry.get("chunk", 0))
        return None

    def record_upload(self, digest: str, location: str, offset: int, chunk: int) -> None:
        with self._uploads.lock:
            self._uploads.data[digest] = {"location": location, "offset": offset, "chunk": chunk}
            self._uploads.save()

    def direct(self, digest: str) -> tuple[str, dict[int, tuple[str, str]]] | None:
        """The recorded direct-to-S3 session of `digest` and its finished parts (number:
        (ETag, checksum))."""
        with self._uploads.lock:
            entry = self._uploads.data.get(digest)
        if not isinstance(entry, dict) or not isinstance(entry.get("s3"), str):
            return None
        found = entry.get("parts")
        parts: dict[int, tuple[str, str]] = {}
        for number, part in found.items() if isinstance(found, dict) else []:
            if isinstance(part, dict) and str(number).isdigit():
                parts[int(number)] = (str(part.get("etag")), str(part.get("checksum")))
        return entry["s3"], parts

    def record_direct(self, digest: str, location: str, parts: dict[int, tuple[str, str]]) -> None:
        with self._uploads.lock:
            recorded = {str(n): {"etag": e, "checksum": c} for n, (e, c) in sorted(parts.items())}
            self._uploads.data[digest] = {"s3": location, "parts": recorded}
            self._uploads.save()

    def forget_upload(self, digest: str) -> None:
        with self._uploads.lock:
            if self._uploads.data.pop(digest, None) is not None:
                self._uploads.save()

    def pending_uploads(self) -> int:
        with self._uploads.lock:
            return len(self._uploads.data)

    def known_repositories(self, digest: str) -> list[str]:
        """Other repositories of this registry that `digest` was pushed to, newest first."""
        with self._known.lock:
            found = self._known.data.get(digest)
        names = found if isinstance(found, list) else []
        return [str(name) for name in names if name != self.repository]

    def record_blobs(self, digests: list[str]) -> None:
        """Remember that these blobs are now in this repository."""
        with self._known.lock:
            data = self._known.data
            for digest in digests:
                names = [self.repository]
                names += [n for n in data.pop(digest, []) if n != self.repository]
                data[digest] = names[:KNOWN_REPOSITORIES_PER_BLOB]
            for digest in list(data)[: max(0, len(data) - KNOWN_BLOBS)]:
                del data[digest]  # oldest first: dicts keep insertion order
            self._known.save()
