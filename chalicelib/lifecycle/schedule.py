"""The daily lifecycle run (app.py's schedule): the repositories the due index says must be
planned (all of them with a policy until the index is complete), within a budget, one log
line that says what changed."""

from __future__ import annotations

from chalicelib.config import settings
from chalicelib.lifecycle import index
from chalicelib.lifecycle.executor import run_all, run_due
from chalicelib.lifecycle.reports import Report
from chalicelib.log import logger


def scheduled(budget: float = 45.0) -> Report:
    """A budget inside the function's timeout; the next day's run goes on where it stopped.
    A standby region expires nothing: the primary's run does, and the table replicates it."""
    if settings().standby:
        logger.info("lifecycle skipped: standby region")
        return Report(dry_run=False)
    if index.complete():
        report = run_due(budget=budget)
    else:
        # The first run after the upgrade plans everything, writing every due entry.
        report = run_all(dry_run=False, budget=budget)
        if report.complete:
            index.mark_complete()
    document = report.document()
    keys = ("complete", "expire", "deleted", "skipped", "unlink", "seconds")
    summary = {k: document[k] for k in keys}
    summary["repositories"] = [
        {"name": r.name, "deleted": r.deleted, "skipped": r.skipped, "unlink": r.unlink}
        for r in report.repositories
        if r.deleted or r.skipped or r.unlink
    ]
    logger.info("lifecycle", extra={"fields": {"lifecycle": summary}})
    return report
