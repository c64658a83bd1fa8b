"""Progress of a push on stderr: bytes, rate and ETA for each blob and overall.

On a terminal one status line is redrawn in place and each blob gets a line when it is done; in a
log (not a terminal) a line per blob as it starts and ends, plus a line for each upload under
way and the overall figures every `interval` seconds. Quiet mode prints nothing but errors.
Rates and times are read from `clock` (time.monotonic unless a test gives its own), and each
report is one `tick()`, which the background thread calls every `interval`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO


def human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@dataclass
class _Upload:
    size: int
    done: int
    started: float
    sent: int = 0  # in this run (a resumed upload starts with done > 0)
    verifying: bool = False  # every byte is there; the registry is checking the digest

    def figures(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-6)
        rate = self.sent / elapsed
        eta = f", ETA {duration((self.size - self.done) / rate)}" if rate > 0 else ""
        return f"{human(self.done)}/{human(self.size)} {human(rate)}/s{eta}"


class Progress:
    def __init__(
        self,
        stream: TextIO,
        total: int,
        *,
        quiet: bool = False,
        tty: bool | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.total = total
        self.quiet = quiet
        self.tty = stream.isatty() if tty is None else tty
        self.interval = interval if interval is not None else (0.25 if self.tty else 5.0)
        self._lock = threading.Lock()
        self._uploads: dict[str, _Upload] = {}
        self._done = 0  # bytes of blobs finished, skipped or mounted, plus bytes sent
        self._sent = 0
        self._clock = clock
        self._started = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if not self.quiet:
            self._thread = threading.Thread(target=self._run, name="push-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._clear()

    def line(self, text: str) -> None:
        if self.quiet:
            return
        with self._lock:
            self._clear_locked()
            self.stream.write(text + "\n")
            self.stream.flush()

    def skipped(self, digest: str, size: int, how: str) -> None:
        with self._lock:
            self._done += size
        self.line(f"{_short(digest)}: {how} ({human(size)})")

    def started(self, digest: str, size: int, offset: int) -> None:
        with self._lock:
            self._uploads[digest] = _Upload(size, offset, self._clock())
            self._done += offset
        resumed = f", resuming at {human(offset)}" if offset else ""
        self.line(f"{_short(digest)}: uploading {human(size)}{resumed}")

    def advance(self, digest: str, sent: int) -> None:
        with self._lock:
            upload = self._uploads[digest]
            upload.done += sent
            upload.sent += sent
            self._done += sent
            self._sent += sent

    def moved_to(self, digest: str, offset: int) -> None:
        """The registry confirmed `offset` bytes of `digest` (less than sent after a retry)."""
        with self._lock:
            upload = self._uploads[digest]
            change = offset - upload.done
            upload.done = offset
            self._done += change
            if change > 0:
                upload.sent += change
                self._sent += change

    def verifying(self, digest: str) -> None:
        """Every byte of `digest` is sent; the registry reads it back to check its digest,
        which takes a while for a large blob: said, so 100% does not look stuck."""
        with self._lock:
            upload = self._uploads[digest]
            upload.verifying = True
        self.line(f"{_short(digest)}: verifying {human(upload.size)} (all bytes sent)")

    def finished(self, digest: str) -> None:
        with self._lock:
            upload = self._uploads.pop(digest)
            elapsed = max(self._clock() - upload.started, 1e-6)
        rate = human(upload.sent / elapsed)
        self.line(
            f"{_short(digest)}: pushed {human(upload.size)} in {duration(elapsed)} ({rate}/s)"
        )

    def summary(self) -> str:
        elapsed = self._clock() - self._started
        rate = self._sent / max(elapsed, 1e-6)
        return f"uploaded {human(self._sent)} in {duration(elapsed)} ({human(rate)}/s)"

    def _overall(self, now: float) -> str:
        elapsed = max(now - self._started, 1e-6)
        rate = self._sent / elapsed
        left = self.total - self._done
        eta = f", ETA {duration(left / rate)}" if rate > 0 and left > 0 else ""
        return f"total {human(self._done)}/{human(self.total)} {human(rate)}/s{eta}"

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def tick(self) -> None:
        """Report once: redraw the status line, or log each upload and the overall figures."""
        now = self._clock()
        with self._lock:
            if self.tty:
                parts = [self._overall(now)]
                parts += [
                    f"{_short(d)[7:15]} "
                    + ("verifying" if u.verifying else f"{u.done * 100 // max(u.size, 1)}%")
                    for d, u in list(self._uploads.items())[:4]
                ]
                self.stream.write("\r\x1b[K" + " | ".join(parts))
            else:
                for digest, upload in self._uploads.items():
                    if upload.verifying:
                        self.stream.write(f"{_short(digest)}: verifying\n")
                    else:
                        self.stream.write(f"{_short(digest)}: {upload.figures(now)}\n")
                self.stream.write(self._overall(now) + "\n")
            self.stream.flush()

    def _clear(self) -> None:
        with self._lock:
            self._clear_locked()

    def _clear_locked(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\r\x1b[K")


def _short(digest: str) -> str:
    return digest[:19]
