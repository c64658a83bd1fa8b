"""Progress lines: per blob and overall, with rate and ETA; in place on a terminal; quiet."""

from __future__ import annotations

import io

from berth.push.progress import Progress, duration, human

MiB = 1024 * 1024
DIGEST = "sha256:" + "ab" * 32


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# Reports come only from tick(): the background thread's interval is never reached in a test.
NEVER = 3600.0


def test_log_lines_without_a_terminal() -> None:
    out, clock = io.StringIO(), Clock()
    with Progress(out, 10 * MiB, tty=False, interval=NEVER, clock=clock) as progress:
        progress.skipped("sha256:" + "cd" * 32, 2 * MiB, "already in the repository")
        progress.started(DIGEST, 8 * MiB, 0)
        progress.advance(DIGEST, 4 * MiB)
        clock.now += 2
        progress.tick()
        progress.moved_to(DIGEST, 8 * MiB)
        clock.now += 2
        progress.finished(DIGEST)
        assert progress.summary() == "uploaded 8.0 MiB in 4s (2.0 MiB/s)"
    assert out.getvalue().splitlines() == [
        "sha256:cdcdcdcdcdcd: already in the repository (2.0 MiB)",
        "sha256:abababababab: uploading 8.0 MiB",
        "sha256:abababababab: 4.0 MiB/8.0 MiB 2.0 MiB/s, ETA 2s",
        "total 6.0 MiB/10.0 MiB 2.0 MiB/s, ETA 2s",
        "sha256:abababababab: pushed 8.0 MiB in 4s (2.0 MiB/s)",
    ]


def test_a_resumed_upload_counts_only_what_this_run_sent() -> None:
    out, clock = io.StringIO(), Clock()
    with Progress(out, 8 * MiB, tty=False, interval=NEVER, clock=clock) as progress:
        progress.started(DIGEST, 8 * MiB, 6 * MiB)
        progress.advance(DIGEST, MiB)
        clock.now += 4
        progress.tick()
    assert out.getvalue().splitlines()[1:] == [
        "sha256:abababababab: 7.0 MiB/8.0 MiB 256.0 KiB/s, ETA 4s",
        "total 7.0 MiB/8.0 MiB 256.0 KiB/s, ETA 4s",
    ]


def test_status_line_redrawn_on_a_terminal() -> None:
    out, clock = io.StringIO(), Clock()
    with Progress(out, 8 * MiB, tty=True, interval=NEVER, clock=clock) as progress:
        progress.started(DIGEST, 8 * MiB, 2 * MiB)
        clock.now += 1
        progress.tick()
        drawn = out.getvalue()
    assert drawn.endswith("\r\x1b[Ktotal 2.0 MiB/8.0 MiB 0 B/s | abababab 25%")
    assert out.getvalue() == drawn + "\r\x1b[K", "the status line is cleared on exit"


def test_the_thread_reports_every_interval() -> None:
    """The background thread ticks each time its interval passes without a stop."""
    out = io.StringIO()
    progress = Progress(out, MiB, tty=False, interval=0.5, clock=Clock())
    waits: list[float] = []

    class Stop:
        def wait(self, timeout: float) -> bool:
            waits.append(timeout)
            return len(waits) > 2  # two intervals pass, then the push ends

    progress._stop = Stop()  # type: ignore[assignment]
    progress._run()
    assert waits == [0.5, 0.5, 0.5]
    assert out.getvalue().splitlines() == ["total 0 B/1.0 MiB 0 B/s"] * 2


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
