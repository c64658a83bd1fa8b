"""The schedules of `berth serve`: what EventBridge's scheduled rules do in AWS.

app.py declares its background jobs with `@app.schedule("rate(...)")` (garbage collection
hourly, lifecycle daily, the OSV sync every 6 hours, the replication re-drive hourly). moto
runs no Lambda code, so this thread calls the very same handlers at the same rates, each
first one interval after the server starts (as a new rule first fires), so a laptop keeps
what a deployment does: a lifecycle policy expires images on its own, GC reclaims them.
Found trying it as a user: none of them ran locally, so a policy set on `berth serve` never
acted unless run by hand.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from berth.localserver.events import LambdaContext
from berth.localserver.log import fields, logger

_RATE = re.compile(r"rate\((\d+) (minute|hour|day)s?\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
# A scheduled function's timeout (.chalice/config.json gives them up to 15 minutes).
TIMEOUT_SECONDS = 900.0


def rate_seconds(expression: str) -> float:
    """Seconds between runs of an EventBridge `rate(N unit)` expression (ValueError else)."""
    match = _RATE.fullmatch(expression.strip())
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"not a rate expression: {expression!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: float
    handler: Callable[[dict[str, Any], Any], Any]


def jobs_of(app: Any, module: Any) -> list[Job]:
    """Every `@app.schedule` of the Chalice `app` defined in `module` (app.py)."""
    found = []
    for source in app.event_sources:
        expression = getattr(source, "schedule_expression", None)
        if expression is None:
            continue
        handler = getattr(module, source.handler_string.rsplit(".", 1)[-1])
        found.append(Job(source.name, rate_seconds(str(expression)), handler))
    return found


def scheduled_event(name: str, moment: datetime) -> dict[str, Any]:
    """The event EventBridge sends a scheduled rule's target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/berth-local-{name}"],
        "detail": {},
    }


@dataclass
class Schedules:
    """Runs each job when its interval has passed (`step` with an injected clock in tests)."""

    jobs: list[Job]
    clock: Callable[[], float] = time.monotonic
    _next: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        started = self.clock()
        self._next = {job.name: started + job.every for job in self.jobs}

    def step(self) -> list[str]:
        """Run every job that is due; the names of those that ran."""
        ran = []
        for job in self.jobs:
            if self.clock() < self._next[job.name]:
                continue
            self._next[job.name] = self.clock() + job.every
            context = LambdaContext(str(uuid.uuid4()), job.name, TIMEOUT_SECONDS)
            try:
                job.handler(scheduled_event(job.name, datetime.now(UTC)), context)
                logger.info("scheduled job ran", extra=fields(job=job.name))
            except Exception as error:  # as in AWS: logged, and it runs again next time
                logger.warning("scheduled job failed", extra=fields(job=job.name, error=str(error)))
            ran.append(job.name)
        return ran

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.step()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="berth-schedules", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def start(app: Any, module: Any) -> Schedules:
    schedules = Schedules(jobs_of(app, module))
    schedules.start()
    return schedules
