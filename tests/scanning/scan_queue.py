"""Run the scan function's handler over what waits on the scan queue, as Lambda's event
source mapping (and `berth serve`'s pipeline) does: a scan asked for through the API is
queued, not run in the API function."""

from __future__ import annotations

import json
import os

import boto3


def run_queued_scans(rounds: int = 50) -> int:
    """Every visible message (and what they queue: a walk's next page), until none is left;
    returns how many ran."""
    from chalicelib.scanner.scan_queue import handle_messages

    sqs, url = boto3.client("sqs"), os.environ["BERTH_SCAN_QUEUE_URL"]
    ran = 0
    for _ in range(rounds):
        found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not found:
            return ran
        for message in found:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handle_messages([m["Body"] for m in found])
        ran += len(found)
    raise AssertionError("the scan queue did not drain")


def queued_scans() -> list[dict[str, object]]:
    """What waits on the scan queue (taken off it)."""
    sqs, url = boto3.client("sqs"), os.environ["BERTH_SCAN_QUEUE_URL"]
    out = []
    while found := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in found:
            out.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return out
