"""`berth cost`: the arithmetic on tiny workloads checked by hand, the invariants of the
table, and where the call counts come from. Built-in call counts throughout (load(None)), so
a local bench/results.json cannot move the expected numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from berth import cli
from berth.cost.calls import DEFAULT_SOURCE, REQUESTS, Request, load, parse
from berth.cost.log_bytes import (
    JSON_WARN_PLATFORM_BYTES,
    metrics_bytes_per_request,
    request_line_bytes,
)
from berth.cost.model import (
    GB,
    LineItem,
    Usage,
    Workload,
    add_request,
    estimate,
    render,
    usage_of,
)
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
    # Billed ms from the measured CPU x 1769/1024 (the vCPU share of 1 GB) + assumed waits
    # (5 ms a DynamoDB read), rounded up (issue 16; all were assumed 15 ms before, the ping 5):
    # ping ceil(0.13 x 1.7275) = 1, manifest HEAD by tag ceil(0.83 x 1.7275 + 5) = 7, GET by
    # digest ceil(0.76 x 1.7275 + 5) = 7, 2 blob GETs ceil(0.91 x 1.7275 + 5) = 7 each; the
    # token, its login cached, ceil(0.91 x 1.7275 + 5) = 7 (45 ms estimated with argon2id
    # before; 60 ms with a KMS Sign). 6 invocations, 36 ms at 1 GB.
    usage = usage_of(TINY_PULL, TABLE)
    assert usage.invocations == 6
    assert usage.gb_seconds == pytest.approx((1 + 7 + 7 + 7 + 2 * 7) / 1000)
    assert usage.rru == 5  # token 1, manifests 1 + 1 (2-3 KB < 4 KB), blobs 1 + 1
    assert usage.wru == 0
    assert usage.s3_get_class == 2  # the clients' GETs on the presigned URLs
    assert usage.s3_put_class == 0
    # No KMS call per token any more: 1% of the 6 invocations start an instance, which
    # derives the current key (1 GenerateMac), and 2 warm instances derive it again every
    # 300 s of a 730-hour month.
    assert usage.kms_requests == pytest.approx(6 * 0.01 + 2 * 730 * 3600 / 300)
    assert usage.transfer_gb == 1

    assert _item(TINY_PULL, "Lambda requests")[0] == pytest.approx(6 * 0.20 / 1e6)
    assert _item(TINY_PULL, "Lambda compute")[0] == pytest.approx(0.036 * 0.0000166667)
    assert _item(TINY_PULL, "Front door requests") == pytest.approx((0, 6 * 3.50 / 1e6, 0))
    assert _item(TINY_PULL, "DynamoDB reads")[0] == pytest.approx(5 * 0.125 / 1e6)
    assert _item(TINY_PULL, "Storage (S3 / ECR)") == pytest.approx((0.23, 0.23, 1.00))
    assert _item(TINY_PULL, "S3 GET/HEAD requests")[0] == pytest.approx(2 * 0.0004 / 1000)
    assert _item(TINY_PULL, "KMS key + key derivations")[0] == pytest.approx(
        1 + (6 * 0.01 + 17_520) / 10_000 * 0.03
    )
    # The measured request line and Lambda's JSON-format addition, no START/END/REPORT (the
    # model said 1200 B a line before issue 16), and each request's share of the EMF line
    # that carries its latency with 99 others.
    line = request_line_bytes() + JSON_WARN_PLATFORM_BYTES + metrics_bytes_per_request()
    assert _item(TINY_PULL, "CloudWatch Logs ingestion")[0] == pytest.approx(6 * line / GB * 0.50)
    assert _item(TINY_PULL, "Data transfer out, pulls from internet") == pytest.approx(
        (0.09, 0.09, 0.09)
    )


def test_one_push_by_hand() -> None:
    # ping, token, 2 blob HEADs, a chunked layer (5 invocations), the config, the manifest.
    usage = usage_of(TINY_PUSH, TABLE)
    assert usage.invocations == 11
    # token 1, blob HEADs 2, manifest PUT's BatchGetItems 2 + 2 (re-measured 2026-12-04: the
    # manifest PUT reads 2 + 2 items and writes 5 in its transaction; 2 + 1 and 4 before)
    assert usage.rru == 7
    # chunked: PutItem 1 + 7 UpdateItem (2 per PATCH, 1 in the PUT) + DeleteItem 1
    # + transaction 3 items x 1 KB x 2 = 15; config: transaction 3 items x 1 KB (0.5 rounded
    # up) x 2 = 6; manifest PUT: 7 items x 2 KB x 2 = 28 (5 before the lifecycle due entry
    # and one more joined its transaction), and its 2 GC index entries (BatchWriteItem, the
    # request's 2 KB an item) = 4. Issue 16 added each link's index entry to its transaction
    # (37 before: 2-item link transactions, no BatchWriteItem).
    assert usage.wru == 53
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
    invocation of 150 ms at deliver_webhooks' 512 MB and one log write each; 1,000 publish
    invocations."""
    from berth.cost.model import _events
    from berth.cost.prices import US_EAST_1 as p

    item = _events(Workload(pushes=1000, webhooks=2), p)
    expected = (
        1000 / 1e6 * 1.00
        + 6000 / 1e6 * 0.40
        + 3000 / 1e6 * p.lambda_per_million_requests
        + 2000 * 0.150 * 0.5 * p.lambda_per_gb_second
        + 2000 / 1e6 * p.dynamodb_per_million_wru
    )
    assert item.function_url == pytest.approx(expected)
    assert item.ecr == 0
    assert item.quantity == "1,000 events, 2,000 deliveries"


def test_the_model_prices_what_the_code_emits() -> None:
    """The metric count and the log line come from the runtime's own modules, not from a
    number written here: a new metric or a longer line moves `berth cost` by itself."""
    from chalicelib.metrics import KINDS, METRICS, billed_metrics, hourly_metrics

    workload = Workload()
    assert billed_metrics() == len(METRICS) * len(KINDS) == 4
    assert workload.custom_metrics == hourly_metrics() == len(KINDS) == 2
    # Latency every hour; Errors only in the hours with a 5xx (10% assumed).
    assert _item(workload, "CloudWatch metrics (EMF)")[0] == pytest.approx((2 + 2 * 0.1) * 0.30)
    always = Workload(error_hour_share=1.0)
    assert _item(always, "CloudWatch metrics (EMF)")[0] == pytest.approx(4 * 0.30)
    # Issue 16: 831 B before (52 metrics' directive, duplicated members, spaced JSON); 628 B
    # with Errors on every line, the logger's name and a duplicate latency.
    assert request_line_bytes() <= 560
    assert workload.log_bytes_per_request == request_line_bytes() + JSON_WARN_PLATFORM_BYTES


def test_sampling_successful_reads_divides_only_their_lines() -> None:
    """BERTH_LOG_SAMPLE_READS=10: the pull's reads (ping, manifest HEAD and GET, blob GETs)
    log one line in ten; the token's line stays."""
    line = Workload().log_bytes_per_request
    # Every request's latency goes out in a shared EMF line, sampled out of the log or not.
    metrics = 6 * Workload().metrics_bytes_per_request
    full = usage_of(TINY_PULL, TABLE).log_gb
    sampled = usage_of(Workload(**{**_fields(TINY_PULL), "log_sample_reads": 10}), TABLE).log_gb
    assert full == pytest.approx((6 * line + metrics) / GB)
    assert sampled == pytest.approx(((1 + 5 / 10) * line + metrics) / GB)


def _fields(workload: Workload) -> dict[str, object]:
    from dataclasses import fields

    return {f.name: getattr(workload, f.name) for f in fields(workload)}


def test_reference_and_small_team_totals() -> None:
    """The issue's two workloads, with the built-in call counts: the small team's Berth is
    below ECR behind the Function URL (it was $19.15 against $5.00 before issue 16), and the
    reference workload's lines add up to the total printed."""
    small = estimate(Workload(stored_gb=50, pulls=20_000, pushes=2_000), TABLE)
    assert small.total("function_url", False) < small.total("ecr", False) == pytest.approx(5.0)
    reference = estimate(Workload(), TABLE)
    assert reference.total("function_url", False) == pytest.approx(
        sum(i.function_url for i in reference.items)
    )
    assert reference.total("function_url", False) < 0.65 * reference.total("ecr", False)
    # Issue 16's goal, as deployed (arm64, .chalice/config.json) and with the background work
    # (GC, lifecycle, audit, scanning, rescans, the advisory sync) priced: <= $30.
    deployed = estimate(Workload(architecture="arm64"), TABLE)
    assert deployed.total("function_url", False) <= 30.0
    names = {i.name for i in deployed.items}
    assert {"Scanning on push", "Rescans (advisory changes)", "Lifecycle (daily)"} <= names


def test_break_even_curves_csv_and_svg(tmp_path: Path) -> None:
    import csv
    import io
    from xml.etree import ElementTree

    from berth.cost.curves import STEPS, break_even, curves, to_csv
    from berth.cost.svg import render_svg

    workload = Workload()
    found = curves(workload, TABLE)
    assert [c.driver for c in found] == ["pulls", "stored_gb"]
    by_pulls, by_stored = found
    assert len(by_pulls.points) == len(by_stored.points) == STEPS + 1
    # ECR does not charge per pull; Berth does. Both grow with storage, ECR four times faster.
    assert len({p.ecr for p in by_pulls.points}) == 1
    assert by_pulls.points[-1].function_url > by_pulls.points[0].function_url
    middle = estimate(workload, TABLE)
    (at_reference,) = [p for p in by_pulls.points if p.x == workload.pulls]
    assert at_reference.function_url == pytest.approx(middle.total("function_url", False))
    crossing = break_even(by_stored)
    assert crossing is not None and 0 < crossing < workload.stored_gb
    ecr_slope = (by_stored.points[1].ecr - by_stored.points[0].ecr) / by_stored.points[1].x
    assert ecr_slope == pytest.approx(P.ecr_storage_per_gb_month)

    rows = list(csv.DictReader(io.StringIO(to_csv(found))))
    assert len(rows) == 2 * (STEPS + 1)
    marked = [(r["driver"], r["x"]) for r in rows if r["reference"] == "1"]
    assert marked == [("pulls", "1e+06"), ("stored_gb", "500")]

    svg = ElementTree.fromstring(render_svg(found, "t"))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(svg.findall(f"{ns}polyline")) == 6  # 3 lines x 2 panels
    texts = [t.text or "" for t in svg.iter(f"{ns}text")]
    assert any(t.startswith("reference: 1M") for t in texts)
    assert any(t.startswith("Berth (Function URL) = ECR at") for t in texts)


def test_berth_cost_writes_the_plot_and_the_csv(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plot, table = tmp_path / "cost.svg", tmp_path / "cost.csv"
    missing = tmp_path / "results.json"
    args = ["cost", "--results", str(missing), "--plot", str(plot), "--csv", str(table)]
    assert cli.main(args) == 0
    assert plot.read_text().startswith("<svg")
    assert table.read_text().startswith("driver,x,")
    assert str(plot) in capsys.readouterr().out


def test_billed_duration_from_cpu_and_waits() -> None:
    from berth.cost.compute import billed_ms, cpu_factor, wait_ms

    assert cpu_factor(1769) == cpu_factor(3008) == 1.0  # one vCPU at 1,769 MB, no faster
    assert cpu_factor(512) == pytest.approx(1769 / 512)
    assert wait_ms(
        ("dynamodb:GetItem", "s3:PutObject", "dynamodb:TransactWriteItems[2 items]")
    ) == (5 + 25 + 15)
    assert billed_ms(0.0, (), 1024) == 1  # Lambda bills at least 1 ms
    assert billed_ms(2.0, ("dynamodb:GetItem",), 1769) == 7
    assert billed_ms(2.0, ("dynamodb:GetItem",), 512) == 12  # ceil(2 x 3.455 + 5)


def test_cpu_times_come_from_bench_results_when_present(tmp_path: Path) -> None:
    from berth.cost.compute import CPU_MS

    path = tmp_path / "results.json"
    document = {
        "generated_at": "2026-12-04T10:00:00Z",
        "sections": {"handler_cpu": {"status": "measured", "data": {"cpu_ms": {"blob HEAD": 9.5}}}},
    }
    path.write_text(json.dumps(document))
    table = load(path)
    assert table.cpu_ms["blob HEAD"] == 9.5
    assert table.cpu_ms["blob GET (307 to S3)"] == CPU_MS["blob GET (307 to S3)"]
    assert "handler_cpu, generated 2026-12-04T10:00:00Z" in table.cpu_source
    assert load(None).cpu_ms == CPU_MS


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


def test_cache_fills_are_priced_and_free_without_a_cache() -> None:
    def cache_row(workload: Workload) -> LineItem:
        result = estimate(workload, TABLE)
        [row] = [i for i in result.items if i.name == "Pull-through cache fills"]
        return row

    assert cache_row(Workload()).function_url == 0
    some = cache_row(Workload(cache_fills=1_000, cache_revalidations=100_000))
    more = cache_row(Workload(cache_fills=2_000, cache_revalidations=100_000))
    assert 0 < some.function_url < more.function_url
    assert some.function_url == some.api_gateway and some.ecr == 0


def test_replication_of_layers_longer_than_a_run_counts_the_checkpoint_writes() -> None:
    """A 1 GiB copy goes up resumably: 64 PATCHes of 16 MiB, a checkpoint write each and the
    delete."""
    from berth.cost.model import _replication
    from berth.cost.prices import US_EAST_1 as p

    small = _replication(Workload(pushes=1000, replicas=1, replicated_mb=512), p)
    large = _replication(Workload(pushes=1000, replicas=1, replicated_mb=1024), p)
    bigger = _replication(Workload(pushes=1000, replicas=1, replicated_mb=512.5), p)
    assert small.function_url == _replication(Workload(pushes=1000, replicas=1), p).function_url
    writes = 1000 * (64 + 1)
    assert large.function_url - small.function_url == pytest.approx(
        writes / 1e6 * p.dynamodb_per_million_wru
    )
    assert bigger.function_url > small.function_url
