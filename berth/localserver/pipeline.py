"""The event pipeline of `berth serve`: what Lambda's event source mappings do in AWS.

In AWS, Lambda reads the table's stream and calls app.py's `publish_events`, takes messages
off the delivery queue and calls `deliver_webhooks`, and off the scan queue and calls
`run_scans`. moto runs no Lambda code, so this thread does all three against moto, calling the
very same chalicelib functions: events go to moto's EventBridge (where rules route them to
SQS), webhooks to real receivers, scans into moto's table and bucket.

Each delivery message is delivered as one Lambda run would be: with the run's time left (the
function's timeout, BERTH_LOCAL_JOB_SECONDS, counted from the message's start), so a long
replication copy stops a minute before it, saved, and its retry continues it, as in AWS."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from berth.localserver.log import fields, logger
from chalicelib.replication.deadline import MARGIN_SECONDS

POLL_SECONDS = 0.2
JOB_SECONDS_ENV = "BERTH_LOCAL_JOB_SECONDS"
# deliver_webhooks' lambda_timeout in .chalice/config.json: a run's length in AWS.
JOB_SECONDS = 900.0


class BudgetError(ValueError):
    pass


def job_seconds(value: str | None) -> float:
    """The per-job time budget from BERTH_LOCAL_JOB_SECONDS (JOB_SECONDS when unset)."""
    if value is None or not value.strip():
        return JOB_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not MARGIN_SECONDS < seconds <= 86_400:
        # A run no longer than the margin would stop every copy before its first chunk.
        raise BudgetError(
            f"{JOB_SECONDS_ENV} must be seconds over {MARGIN_SECONDS:.0f} (a copy stops that "
            f"long before a run ends) and at most 86400, not {value!r}"
        )
    return seconds


def within(
    deliver: Callable[..., object], seconds: float, clock: Callable[[], float] = time.monotonic
) -> Callable[[list[str]], object]:
    """`deliver` given, per call, the time left of a run `seconds` long (Lambda's
    `get_remaining_time_in_millis`, as app.py passes it)."""

    def run(bodies: list[str]) -> object:
        started = clock()
        return deliver(bodies, remaining=lambda: seconds - (clock() - started))

    return run


def streams_client(endpoint_url: str | None = None) -> Any:
    """DynamoDB Streams; this botocore would send ARN-bearing calls to an account-based
    endpoint that moto does not serve, so that mode is off."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodbstreams",
        endpoint_url=endpoint_url,
        config=Config(account_id_endpoint_mode="disabled"),
    )


@dataclass
class StreamReader:
    """Follows every shard of a stream from where it stood when the reader started (or
    from its start), the way an event source mapping with LATEST (or TRIM_HORIZON) does."""

    client: Any
    stream_arn: str
    from_start: bool = False
    _iterators: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._discover(initial=True)

    def _discover(self, initial: bool = False) -> None:
        description = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._iterators:
                continue
            kind = "LATEST" if initial and not self.from_start else "TRIM_HORIZON"
            self._iterators[shard_id] = self.client.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=kind
            )["ShardIterator"]

    def poll(self) -> list[dict[str, Any]]:
        """The records written since the last poll, in order within each shard."""
        self._discover()
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            answer = self.client.get_records(ShardIterator=iterator, Limit=1000)
            records.extend(answer.get("Records", []))
            self._iterators[shard_id] = answer.get("NextShardIterator")
        return records


def as_lambda_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """GetRecords answers in boto3's shapes; Lambda hands the handler plain JSON."""
    return json.loads(json.dumps(records, default=str))  # type: ignore[no-any-return]


@dataclass
class Pipeline:
    """One daemon thread: stream → publish, queue → deliver, until stopped."""

    reader: StreamReader
    sqs: Any
    queue_url: str
    publish: Callable[[list[dict[str, Any]]], object]
    deliver: Callable[[list[str]], object]
    # More queues and their handlers (the scan queue and `run_scans`' handler).
    queues: list[tuple[str, Callable[[list[str]], object]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    # Records read but not yet published: as the stream does for a Lambda that raised,
    # the same batch is handed again until its handler succeeds.
    _pending: list[dict[str, Any]] = field(default_factory=list)

    def step(self) -> int:
        """One round; returns how many records and messages it handled. A failing publish
        raises and keeps its batch for the next round."""
        handled = 0
        self._pending.extend(self.reader.poll())
        if self._pending:
            self.publish(as_lambda_records(self._pending))
            handled += len(self._pending)
            self._pending = []
        for url, handler in [(self.queue_url, self.deliver), *self.queues]:
            handled += self._drain(url, handler)
        return handled

    def _drain(self, url: str, handler: Callable[[list[str]], object]) -> int:
        """What is visible on one queue, a message at a time (batch size 1, as deployed)."""
        handled = 0
        answer = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for message in answer.get("Messages", []):
            try:
                handler([message["Body"]])
            except Exception as error:  # as Lambda would: the message comes back later
                logger.warning("queue handler failed", extra=fields(error=str(error), queue=url))
                continue
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1
        return handled

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
            except Exception as error:  # a stream or queue fault: try again next round
                logger.warning("event pipeline step failed", extra=fields(error=str(error)))
                busy = 0
            if not busy:
                self._stop.wait(POLL_SECONDS)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="berth-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def start(environment: dict[str, str]) -> Pipeline:
    """The pipeline of a local server whose runtime environment is `environment`."""
    import boto3

    from chalicelib.events.deliver import handle_messages
    from chalicelib.events.publish import handle_records
    from chalicelib.scanner import scan_queue

    endpoint = environment.get("AWS_ENDPOINT_URL")
    reader = StreamReader(
        streams_client(endpoint), environment["BERTH_TABLE_STREAM_ARN"], from_start=True
    )
    pipeline = Pipeline(
        reader,
        boto3.client("sqs", endpoint_url=endpoint),
        environment["BERTH_DELIVERY_QUEUE_URL"],
        handle_records,
        within(handle_messages, job_seconds(os.environ.get(JOB_SECONDS_ENV))),
        queues=[
            (environment["BERTH_SCAN_QUEUE_URL"], lambda bodies: scan_queue.handle_messages(bodies))
        ],
    )
    pipeline.start()
    return pipeline
