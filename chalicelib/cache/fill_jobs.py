"""Blob fills run from the delivery queue, after the client that asked was sent to
upstream's storage: a Lambda handler cannot stream a response body and nothing of it runs
after the response is returned, so the storing happens in the queue's consumer (app.py's
`deliver_webhooks`; `berth serve`'s pipeline in the same way), under the claim the request
took (chalicelib/cache/fill_claims.py): concurrent first pulls queue one fill.

A fill that fails is retried with the queue's backoff; if the message is lost, the claim
expires and the next first pull queues another."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.events.http_post import Outcome
from chalicelib.log import logger
from chalicelib.oci.digest import Digest

KIND = "cache.fill"


def message(name: str, digest: str, owner: str) -> dict[str, Any]:
    return {
        "cachefill": True,
        "id": f"cachefill-{digest}-{owner}",
        "type": KIND,
        "repository": name,
        "digest": digest,
        "owner": owner,
        "attempt": 1,
        "not_before": 0,
    }


def enqueue(name: str, digest: Digest, owner: str) -> bool:
    """Queue the fill; False (the claim given back, the next pull queues it) if the queue
    refused: the client is answered either way."""
    from chalicelib.cache import fill_claims
    from chalicelib.events.publish import send

    try:
        send([message(name, str(digest), owner)])
    except Exception as error:  # SQS down or not configured: a pull is still answered
        fields = {"repository": name, "digest": str(digest), "error": str(error)[:300]}
        logger.warning("cache fill not queued", extra={"fields": fields})
        fill_claims.release(str(digest), owner)
        return False
    return True


def run(queued: dict[str, Any]) -> Outcome:
    """Store the blob and link it; a failure is retried by the queue."""
    from chalicelib.cache import rules
    from chalicelib.cache.blob_fill import queued_fill
    from chalicelib.cache.upstream_session import registry_for
    from chalicelib.oci.digest import parse_digest

    started = time.perf_counter()
    name, digest = str(queued["repository"]), str(queued["digest"])

    def took() -> int:
        return int((time.perf_counter() - started) * 1000)

    rule = rules.cached().rule_for(name)
    if rule is None:
        logger.info("cache fill dropped: no rule", extra={"fields": {"repository": name}})
        return Outcome(200, took())
    try:
        link = queued_fill(
            rule, lambda: registry_for(rule), name, parse_digest(digest), str(queued["owner"])
        )
    except Exception as error:  # upstream, S3 or DynamoDB fault, or bad bytes: retried
        text = f"{type(error).__name__}: {error}"[:300]
        logger.warning(
            "cache fill failed",
            extra={"fields": {"repository": name, "digest": digest, "error": text}},
        )
        return Outcome(None, took(), text)
    logger.info(
        "cache fill done",
        extra={"fields": {"repository": name, "digest": digest, "stored": link is not None,
                          "ms": took()}},
    )  # fmt: skip
    return Outcome(200, took())
