"""Measurement: what events cost a push, and how fast they reach a webhook.

1. Latency and rate on `berth serve`: a webhook to a receiver in this process, then `pushes`
   small images pushed one after another over HTTP. Event-to-delivery latency is from the
   manifest PUT's answer to the receiver getting that manifest's event (p50, p99), measured
   beside the push latency of the same run; deliveries per second against pushes per second
   (target: the pipeline keeps up, ratio >= 0.9).
2. AWS calls that events add to a push, on moto in-process with `bench.awscalls`: the stream
   consumer's (PutEvents, SendMessageBatch, the webhook list once per instance per 15 s) and
   one delivery's (the webhook, the log write), against the push's own calls; and the
   dollars they add a month at the reference workload (`berth cost`).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.apiclient import ApiClient
from bench.awscalls import recording
from bench.calls import in_process_registry
from bench.report import Row, Section, verdict
from bench.serverproc import local_server
from bench.stats import ms, ratio

NAME = "events"
TITLE = "Events: push-to-webhook latency, deliveries/s vs pushes/s, AWS calls and $ per push"
RATE_TARGET = 0.9


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@contextmanager
def _receiver() -> Iterator[tuple[str, dict[str, float], threading.Condition]]:
    """A webhook receiver on loopback: the arrival time of each event by image digest."""
    arrivals: dict[str, float] = {}
    arrived = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            data = json.loads(body).get("data", {})
            with arrived:
                arrivals.setdefault(str(data.get("image-digest")), time.perf_counter())
                arrived.notify_all()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", arrivals, arrived
    finally:
        server.shutdown()
        server.server_close()


def _latency(pushes: int) -> tuple[list[Row], dict[str, Any]]:
    from bench.authbench import _Http

    with local_server("events") as server, _receiver() as (url, arrivals, arrived):
        api = ApiClient(_Http(server.url))
        api.expect(
            201,
            "POST",
            "/v2/_berth/webhooks",
            {"Content-Type": "application/json"},
            json.dumps({"url": url, "repositories": ["*"], "events": ["PUSH"]}).encode(),
        )
        repo = f"bench/events-{uuid.uuid4().hex[:8]}"
        pushed: dict[str, float] = {}
        push_seconds: list[float] = []
        first = time.perf_counter()
        for n in range(pushes):
            started = time.perf_counter()
            digest, _, _ = api.push_small_image(repo, f"v{n}")
            pushed[digest] = time.perf_counter()
            push_seconds.append(pushed[digest] - started)
        pushing = time.perf_counter() - first
        with arrived:
            arrived.wait_for(lambda: set(pushed) <= set(arrivals), timeout=120)
        missing = set(pushed) - set(arrivals)
        if missing:
            raise RuntimeError(f"{len(missing)} of {pushes} events never arrived")
        latencies = [arrivals[d] - pushed[d] for d in pushed]
        delivering = max(arrivals[d] for d in pushed) - first
    p50, p99 = _percentile(latencies, 0.5), _percentile(latencies, 0.99)
    push_p50 = _percentile(push_seconds, 0.5)
    pushes_per_s, deliveries_per_s = pushes / pushing, pushes / delivering
    rate = ratio(deliveries_per_s, pushes_per_s)
    rows = [
        Row(
            "event-to-delivery latency p50",
            f"{ms(p50):.0f} ms",
            f"push (3 requests) p50 {ms(push_p50):.0f} ms",
            f"{ratio(p50, push_p50):.1f}x" if ratio(p50, push_p50) else "",
        ),
        Row("event-to-delivery latency p99", f"{ms(p99):.0f} ms"),
        Row(
            "deliveries per second",
            f"{deliveries_per_s:.1f}/s",
            f"pushes {pushes_per_s:.1f}/s",
            f"{rate:.2f}" if rate is not None else "",
            f">= {RATE_TARGET}",
            verdict(rate is not None and rate >= RATE_TARGET),
        ),
    ]
    data = {
        "pushes": pushes,
        "latency_ms": {"p50": round(ms(p50), 1), "p99": round(ms(p99), 1)},
        "push_ms_p50": round(ms(push_p50), 1),
        "deliveries_per_s": round(deliveries_per_s, 2),
        "pushes_per_s": round(pushes_per_s, 2),
    }
    return rows, data


def _calls() -> tuple[list[Row], dict[str, Any]]:
    with in_process_registry() as client:
        import os

        import boto3

        from berth.cost.model import Workload, _events
        from berth.cost.prices import US_EAST_1
        from berth.localserver.pipeline import StreamReader, as_lambda_records, streams_client
        from chalicelib.events import webhooks
        from chalicelib.events.deliver import handle_messages
        from chalicelib.events.publish import handle_records

        reader = StreamReader(streams_client(), os.environ["BERTH_TABLE_STREAM_ARN"])
        webhooks.create(url="https://hooks.example.com/in", patterns=["*"], events=["PUSH"])
        api = ApiClient(client)
        with recording() as recorder:
            with recorder.window() as push:
                api.push_small_image("bench/events", "v1")
            records = as_lambda_records(reader.poll())  # Lambda's own reads: free
            with recorder.window() as publish:
                handle_records(records)
            answer = boto3.client("sqs").receive_message(
                QueueUrl=os.environ["BERTH_DELIVERY_QUEUE_URL"], MaxNumberOfMessages=1
            )
            body = answer["Messages"][0]["Body"]

            def refuse(host: str, port: int) -> list[str]:
                return ["10.0.0.1"]  # the bench reaches no network: a refused attempt

            with recorder.window() as deliver:
                handle_messages([body], resolver=refuse)
        monthly = _events(Workload(), US_EAST_1)

    def described(calls: list[Any]) -> str:
        return ", ".join(c.describe() for c in calls) or "none"

    attempt = [c for c in deliver.calls if c.service != "sqs"]  # without the retry's re-queue
    rows = [
        Row("AWS calls of the push (3 requests)", str(len(push.calls)), described(push.calls)),
        Row(
            "AWS calls events add, stream consumer",
            str(len(publish.calls)),
            described(publish.calls),
        ),
        Row("AWS calls events add, one delivery", str(len(attempt)), described(attempt)),
        Row(
            "$ a month events add (reference workload)",
            f"${monthly.function_url:.2f}",
            monthly.quantity,
        ),
    ]
    data = {
        "push_calls": [c.describe() for c in push.calls],
        "publish_calls": [c.describe() for c in publish.calls],
        "delivery_calls": [c.describe() for c in deliver.calls],
        "monthly_usd": round(monthly.function_url, 4),
    }
    return rows, data


def run(pushes: int = 50) -> Section:
    rows, data = _latency(pushes)
    more, calls = _calls()
    return Section(NAME, TITLE, rows=rows + more, data={**data, "calls": calls})
