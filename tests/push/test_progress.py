"""Progress lines: per blob and overall, with rate and ETA; in place on a terminal; quiet."""

from __future__ import annotations

import io
import time

from berth.push.progress import Progress, duration, human

MiB = 1024 * 1024
DIGEST = "sha256:" + "ab" * 32


def test_log_lines_without_a_terminal() -> None:
    out = io.StringIO()
    with Progress(out, 10 * MiB, tty=False, interval=0.05) as progress:
        progress.skipped("sha256:" + "cd" * 32, 2 * MiB, "already in the repository")
        progress.started(DIGEST, 8 * MiB, 0)
        progress.advance(DIGEST, 4 * MiB)
        time.sleep(0.2)
        progress.moved_to(DIGEST, 8 * MiB)
        progress.finished(DIGEST)
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text
    assert "sha256:cdcdcdcdcdcd: already in the repository (2.0 MiB)" in text
    assert "sha256:abababababab: 4.0 MiB/8.0 MiB" in text and "ETA" in text
    assert "total 6.0 MiB/10.0 MiB" in text
    assert "sha256:abababababab: pushed 8.0 MiB in" in text


def test_status_line_redrawn_on_a_terminal() -> None:
    out = io.StringIO()
    with Progress(out, 8 * MiB, tty=True, interval=0.05) as progress:
        progress.started(DIGEST, 8 * MiB, 2 * MiB)
        time.sleep(0.15)
    assert "\r\x1b[K" in out.getvalue() and "abababab 25%" in out.getvalue()


def test_quiet_prints_nothing() -> None:
    out = io.StringIO()
    with Progress(out, MiB, quiet=True) as progress:
        progress.started(DIGEST, MiB, 0)
        progress.finished(DIGEST)
        progress.line("hello")
    assert out.getvalue() == ""


def test_units() -> None:
    assert [human(512), human(1536), human(3 * MiB)] == ["512 B", "1.5 KiB", "3.0 MiB"]
    assert [duration(5), duration(75), duration(3700)] == ["5s", "1m15s", "1h01m"]
