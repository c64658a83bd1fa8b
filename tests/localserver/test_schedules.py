"""`berth serve` runs app.py's `@app.schedule` jobs at their rates, calling the very same
handlers EventBridge would (berth/localserver/schedules.py): found trying it as a user, a
lifecycle policy set on a local server never acted unless run by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from berth.localserver.schedules import Job, Schedules, jobs_of, rate_seconds
from tests.api.helpers import push_image
from tests.lifecycle.test_due_index import T0, UNTAGGED_7, at, present, set_policy

__all__ = ["at"]


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 hour)", 3600), ("rate(6 hours)", 21600), ("rate(1 day)", 86400),
     ("rate(5 minutes)", 300)],
)  # fmt: skip
def test_rate_expressions(expression: str, seconds: int) -> None:
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize("bad", ["rate(0 hours)", "cron(0 12 * * ? *)", "rate(1 week)", ""])
def test_other_expressions_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="rate expression"):
        rate_seconds(bad)


def test_every_schedule_of_the_app_is_run_locally(client: Any) -> None:
    import app

    jobs = {job.name: job.every for job in jobs_of(app.app, app)}
    assert jobs == {
        "collect_garbage": 3600,
        "apply_lifecycle": 86400,
        "sync_advisories": 21600,
        "redrive_replication": 3600,
    }


def test_a_job_runs_once_its_interval_has_passed_and_a_failure_stops_no_other() -> None:
    now = [1000.0]
    ran: list[str] = []

    def hourly(event: dict[str, Any], context: Any) -> None:
        assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
        assert context.get_remaining_time_in_millis() > 0
        ran.append("hourly")

    def broken(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("a fault")

    schedules = Schedules([Job("broken", 60, broken), Job("hourly", 3600, hourly)], lambda: now[0])
    assert schedules.step() == [] and ran == []  # nothing at start: a new rule fires later
    now[0] += 3599
    assert schedules.step() == ["broken"] and ran == []
    now[0] += 1
    assert schedules.step() == ["hourly"] and ran == ["hourly"]
    assert schedules.step() == [] and ran == ["hourly"]  # not again until the next hour
    now[0] += 3600
    assert schedules.step() == ["broken", "hourly"] and ran == ["hourly", "hourly"]


def test_the_daily_lifecycle_job_expires_by_policy_on_a_local_server(
    client: Any, repo: str, at: Any
) -> None:
    import app

    untagged = push_image(client, repo)
    kept = push_image(client, repo, "v1")
    set_policy(repo, UNTAGGED_7)
    now = [0.0]
    (daily,) = [job for job in jobs_of(app.app, app) if job.name == "apply_lifecycle"]
    schedules = Schedules([daily], lambda: now[0])
    at(T0 + timedelta(days=8))
    assert schedules.step() == [] and present(client, repo, untagged.digest)
    now[0] += 86400
    assert schedules.step() == ["apply_lifecycle"]
    assert not present(client, repo, untagged.digest)
    assert present(client, repo, kept.digest)
