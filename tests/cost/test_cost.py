"""`berth cost`: the arithmetic on tiny workloads checked by hand, the invariants of the
table, and where the call counts come from. Built-in call counts throughout (load(None)), so
a local bench/results.json cannot move the expected numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from berth import cli
from berth.cost.calls import DEFAULT_SOURCE, REQUESTS, Request, load, parse
from berth.cost.model import GB, Usage, Workload, add_request, estimate, render, usage_of
from berth.cost.prices import PRICE_DATE, TB, US_EAST_1, tiered

P = US_EAST_1
TABLE = load(None)
TINY_PULL = Workload(stored_gb=10, pulls=1, pushes=0, layers=1, image_mb=1024)
TINY_PUSH = Workload(stored_gb=0, pulls=0, pushes=1, layers=1, image_mb=1024)


def _item(workload: Workload, name: str) -> tuple[float, float, float]:
    result = estimate(workload, TABLE)
    [row] = [i for i in [*result.items, result.transfer] if i.name == name]
    return row.function_url, row.api_gateway, row.ecr


def test_one_pull_of_a_one_layer_image_by_hand() -> None:
    # ping 5 ms, token 60 ms (Query + Sign), manifest HEAD by tag and GET by digest 15 ms
    # each, 2 blob GETs (layer + config) 15 ms each: 6 invocations, 125 ms at 1 GB.
    usage = usage_of(TINY_PULL, TABLE)
    assert usage.invocations == 6
    assert usage.gb_seconds == pytest.approx(0.125)
    assert usage.rru == 5  # token 1, manifests 1 + 1 (2-3 KB < 4 KB), blobs 1 + 1
    assert usage.wru == 0
    assert usage.s3_get_class == 2  # the clients' GETs on the presigned URLs
    assert usage.s3_put_class == 0
    assert usage.kms_requests == 1
    assert usage.transfer_gb == 1

    assert _item(TINY_PULL, "Lambda requests")[0] == pytest.approx(6 * 0.20 / 1e6)
    assert _item(TINY_PULL, "Lambda compute")[0] == pytest.approx(0.125 * 0.0000166667)
    assert _item(TINY_PULL, "Front door requests") == pytest.approx((0, 6 * 3.50 / 1e6, 0))
    assert _item(TINY_PULL, "DynamoDB reads")[0] == pytest.approx(5 * 0.125 / 1e6)
    assert _item(TINY_PULL, "Storage (S3 / ECR)") == pytest.approx((0.23, 0.23, 1.00))
    assert _item(TINY_PULL, "S3 GET/HEAD requests")[0] == pytest.approx(2 * 0.0004 / 1000)
    assert _item(TINY_PULL, "KMS key + token Sign")[0] == pytest.approx(1 + 0.15 / 10_000)
    assert _item(TINY_PULL, "CloudWatch Logs ingestion")[0] == pytest.approx(6 * 1200 / GB * 0.50)
    assert _item(TINY_PULL, "Data transfer out, pulls from internet") == pytest.approx(
        (0.09, 0.09, 0.09)
    )


def test_one_push_by_hand() -> None:
    # ping, token, 2 blob HEADs, a chunked layer (5 invocations), the config, the manifest.
    usage = usage_of(TINY_PUSH, TABLE)
    assert usage.invocations == 11
    # token 1, blob HEADs 2, manifest PUT's BatchGetItems 2 + 1
    assert usage.rru == 6
    # chunked: PutItem 1 + 7 UpdateItem (2 per PATCH, 1 in the PUT) + DeleteItem 1
    # + transaction 2 items x 1 KB x 2 = 13; config: transaction 2 items x 1 KB (0.5 rounded
    # up) x 2 = 4; manifest PUT: 4 items x 2 KB x 2 = 16.
    assert usage.wru == 33
    # chunked: 3 PutObject, 2 DeleteObjects, Create, UploadPartCopy, UploadPart, Complete;
    # config: 1 PutObject.
    assert usage.s3_put_class == 10
    assert usage.s3_get_class == 3  # 2 GetObject + 1 HeadObject, in the chunked upload
    assert usage.transfer_gb == 0  # pushes come in for free


@pytest.mark.parametrize(
    "workload",
    [Workload(), TINY_PULL, TINY_PUSH, Workload(stored_gb=0, pulls=0, pushes=0)],
)
def test_every_line_item_is_non_negative(workload: Workload) -> None:
    result = estimate(workload, TABLE)
    for row in [*result.items, result.transfer]:
        assert min(row.function_url, row.api_gateway, row.ecr) >= 0, row


@pytest.mark.parametrize("workload", [Workload(), TINY_PULL, TINY_PUSH])
@pytest.mark.parametrize("internet", [False, True])
def test_function_url_is_cheaper_by_exactly_the_api_gateway_fee(
    workload: Workload, internet: bool
) -> None:
    result = estimate(workload, TABLE)
    fee = result.usage.invocations / 1e6 * P.api_gateway_rest_per_million
    difference = result.total("api_gateway", internet) - result.total("function_url", internet)
    assert fee > 0
    assert difference == pytest.approx(fee, rel=1e-12)


def test_internet_transfer_is_tiered() -> None:
    assert tiered(0, P.internet_transfer_tiers) == 0
    assert tiered(10 * TB + 1, P.internet_transfer_tiers) == pytest.approx(10 * TB * 0.09 + 0.085)
    assert tiered(200 * TB, P.internet_transfer_tiers) == pytest.approx(
        TB * (10 * 0.09 + 40 * 0.085 + 100 * 0.07 + 50 * 0.05)
    )


def test_the_output_has_the_table_and_the_dated_prices() -> None:
    text = render(Workload(), TABLE)
    assert f"as of {PRICE_DATE}, us-east-1, verify before relying on them" in text
    for heading in ("Function URL", "API Gateway", "ECR", "TOTAL, pulls from the same region"):
        assert heading in text
    assert "TOTAL, pulls from the internet" in text
    assert DEFAULT_SOURCE in text


def test_berth_cost_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "results.json"
    assert cli.main(["cost", "--results", str(missing), "--pulls", "10"]) == 0
    out = capsys.readouterr().out
    assert PRICE_DATE in out
    assert "10 pulls" in out


def test_counts_come_from_bench_results_when_present(tmp_path: Path) -> None:
    doubled = ["dynamodb:GetItem", "dynamodb:GetItem"]
    document = {
        "generated_at": "2026-11-28T09:00:00Z",
        "sections": {
            "aws_calls": {
                "status": "measured",
                "data": {
                    "operations": [
                        {
                            "operation": "blob GET (307)",
                            "status": 307,
                            "expected_status": 307,
                            "steady": {"calls": doubled},
                        },
                        {  # a failed row is not taken
                            "operation": "blob HEAD",
                            "status": 500,
                            "expected_status": 200,
                            "steady": {"calls": []},
                        },
                    ]
                },
            }
        },
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document))
    table = load(path)
    assert table.requests["blob GET (307 to S3)"].calls == tuple(doubled)
    assert table.requests["blob HEAD"].calls == REQUESTS["blob HEAD"].calls
    assert "aws_calls, generated 2026-11-28T09:00:00Z" in table.source

    path.write_text(json.dumps({"sections": {"cold_start": {"status": "measured"}}}))
    assert load(path).requests == REQUESTS
    assert DEFAULT_SOURCE in load(path).source


def test_every_default_call_is_priced() -> None:
    # A call the model has no price for must fail loudly, not cost nothing.
    for request in REQUESTS.values():
        for call in request.calls:
            assert parse(call).service in ("dynamodb", "s3", "kms")
    with pytest.raises(ValueError):
        parse("not a call")
    unknown = Request("x", ("sqs:SendMessage",), 1, 1, measured=False)
    with pytest.raises(ValueError, match="no price"):
        add_request(Usage(), unknown, 1, Workload())


def test_events_by_hand() -> None:
    """1,000 pushes, 2 webhooks: 1,000 PutEvents; 2,000 deliveries of 3 SQS requests, one
    invocation of 150 ms at 1024 MB and one log write each; 1,000 publish invocations."""
    from berth.cost.model import _events
    from berth.cost.prices import US_EAST_1 as p

    item = _events(Workload(pushes=1000, webhooks=2), p)
    expected = (
        1000 / 1e6 * 1.00
        + 6000 / 1e6 * 0.40
        + 3000 / 1e6 * p.lambda_per_million_requests
        + 2000 * 0.150 * 1.0 * p.lambda_per_gb_second
        + 2000 / 1e6 * p.dynamodb_per_million_wru
    )
    assert item.function_url == pytest.approx(expected)
    assert item.ecr == 0
    assert item.quantity == "1,000 events, 2,000 deliveries"


def test_replication_by_hand() -> None:
    """1,000 pushes to 2 destinations: 2,000 copies of 3 SQS requests, an invocation of 2 s
    at 1024 MB, 2 S3 GETs, 4 reads and 2 writes, one event each."""
    from berth.cost.model import _replication
    from berth.cost.prices import US_EAST_1 as p

    item = _replication(Workload(pushes=1000, replicas=2), p)
    expected = (
        6000 / 1e6 * 0.40
        + 2000 / 1e6 * p.lambda_per_million_requests
        + 2000 * 2.0 * 1.0 * p.lambda_per_gb_second
        + 4000 / 1000 * p.s3_get_class_per_thousand
        + 8000 / 1e6 * p.dynamodb_per_million_rru
        + 4000 / 1e6 * p.dynamodb_per_million_wru
        + 2000 / 1e6 * 1.00
    )
    assert item.function_url == pytest.approx(expected)
    assert item.quantity == "2,000 copies, 23.4 GB sent"
    assert _replication(Workload(), p).function_url == 0
