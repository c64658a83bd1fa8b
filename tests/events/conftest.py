"""Fixtures for the event pipeline: a real HTTP receiver, moto's queue clock, and a pump
that does what Lambda's event source mappings do (berth/localserver/pipeline.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import moto.sqs.models
import pytest

_sqs_models: Any = moto.sqs.models  # `unix_time_millis` is imported there, not exported


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """A webhook receiver on loopback that answers with the statuses it is given, in
    turn (then 200), and keeps every request."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def next_status(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else 200

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        """Block until `count` requests were answered 2xx (for a pipeline on another thread
        or process); the timeout only bounds a failure, it is never the expected path."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.delivered()) >= count, timeout)
        return self.delivered()

    def delivered(self) -> list[Received]:
        """The requests answered 2xx."""
        return [r for r in self.received if 200 <= r.status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = box[0].next_status()
            with box[0].arrived:  # kept before the answer: the sender may look right after
                box[0].received.append(Received(dict(self.headers.items()), body, status))
                box[0].arrived.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook"))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()


class Clock:
    """One clock for the deliverer (`not_before`, signature timestamps) and moto's SQS
    (message delays): a test moves it instead of sleeping."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Iterator[Clock]:
    import time

    real = _sqs_models.unix_time_millis
    test_clock = Clock(time.time())
    _sqs_models.unix_time_millis = lambda *_: test_clock.now * 1000.0
    try:
        yield test_clock
    finally:
        _sqs_models.unix_time_millis = real


@pytest.fixture
def local_webhooks(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As `berth serve` sets it: plain http, and loopback receivers allowed."""
    from chalicelib.events import webhooks
    from chalicelib.events.config import event_settings

    monkeypatch.setenv("BERTH_WEBHOOK_ALLOW_HTTP", "1")
    monkeypatch.setenv("BERTH_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    event_settings.cache_clear()
    yield
    for item in webhooks.list_all():
        item.delete()
    webhooks.forget()
    event_settings.cache_clear()


@dataclass
class Pump:
    """Stream → publish_events, queue → deliver_webhooks: the event source mappings."""

    aws: dict[str, str]
    clock: Clock
    reader: Any

    def publish(self) -> Any:
        from berth.localserver.pipeline import as_lambda_records
        from chalicelib.events.publish import handle_records

        return handle_records(as_lambda_records(self.reader.poll()))

    def queued(self, url: str | None = None) -> list[dict[str, Any]]:
        """Receive what is visible now (and take it off the queue); by default the delivery
        queue's messages, then the scan queue's."""
        if url is None:
            return self.queued(self.aws["DeliveryQueueUrl"]) + self.queued(self.aws["ScanQueueUrl"])
        import boto3

        sqs = boto3.client("sqs")
        queue = url
        out = []
        while True:
            answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            found = answer.get("Messages", [])
            if not found:
                return out
            for message in found:
                out.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

    def deliver(self, rounds: int = 1000, step: float = 900) -> int:
        """Hand every visible message to the deliverer, moving the clock `step` seconds
        whenever nothing is visible, until the queue is empty; returns the attempts made.
        Rounds are many: a message another test of this process left (a cache fill, a copy
        queued through the API without this fixture) may be retried with backoff until its
        attempts run out, and a rescan's walk goes through every repository of the process."""
        import random

        from chalicelib.events.deliver import handle_messages
        from chalicelib.scanner import scan_queue

        rng = random.Random(1)
        handled = 0
        consumers = [
            (self.aws["DeliveryQueueUrl"], handle_messages),  # deliver_webhooks
            (self.aws["ScanQueueUrl"], scan_queue.handle_messages),  # run_scans
        ]
        for _ in range(rounds):
            busy = 0
            for url, handler in consumers:
                messages = self.queued(url)
                if messages:
                    handler([json.dumps(m) for m in messages], clock=self.clock, rng=rng)
                    busy += len(messages)
            handled += busy
            if not busy:
                if not self._waiting():
                    return handled
                self.clock.advance(step)
        raise AssertionError("the queue did not drain")

    def _waiting(self) -> bool:
        import boto3

        for url in (self.aws["DeliveryQueueUrl"], self.aws["ScanQueueUrl"]):
            attributes = boto3.client("sqs").get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessagesDelayed",
                    "ApproximateNumberOfMessages",
                ],
            )["Attributes"]
            if any(int(v) for v in attributes.values()):
                return True
        return False


@pytest.fixture
def pump(aws: dict[str, str], clock: Clock, local_webhooks: None) -> Iterator[Pump]:
    from berth.localserver.pipeline import StreamReader, streams_client

    pump = Pump(aws, clock, StreamReader(streams_client(), aws["TableStreamArn"]))
    pump.queued()  # nothing visible left by another test of this process
    pump.queued(aws["DeadLetterQueueUrl"])
    pump.queued(aws["ScanDeadLetterQueueUrl"])
    yield pump
    # Leave nothing for the next test of this process, delayed messages included: one
    # delayed on this test's clock would stay invisible on the next one's for hours.
    clock.advance(7 * 86400)
    pump.queued()
    pump.queued(aws["DeadLetterQueueUrl"])
    pump.queued(aws["ScanDeadLetterQueueUrl"])
