"""AWS list prices that `berth cost` multiplies by, kept apart from the arithmetic so that
updating a price is a one-line change with its date beside it.

These are us-east-1 on-demand list prices as we know them, written down on PRICE_DATE from
memory and the pricing pages we could read offline (this environment cannot reach
aws.amazon.com). Free tiers are left out on purpose: they are per account, not per registry,
and they vanish at the scale of the reference workload. Verify before relying on them.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICE_DATE = "2026-11-28"
REGION = "us-east-1"
CAVEAT = f"as of {PRICE_DATE}, {REGION}, verify before relying on them"

MILLION = 1_000_000
THOUSAND = 1_000
TB = 1024  # GB: AWS bills data transfer and storage in binary gigabytes


@dataclass(frozen=True, slots=True)
class Tier:
    """A block of a tiered price: `up_to_gb` GB (None: the rest) at `usd_per_gb`."""

    up_to_gb: float | None
    usd_per_gb: float


@dataclass(frozen=True, slots=True)
class Prices:
    """Every unit price the model uses, in USD."""

    # Lambda: requests, and x86_64 GB-seconds (Chalice's default architecture; arm64 below)
    lambda_per_million_requests: float
    lambda_per_gb_second: float
    # Front doors
    api_gateway_rest_per_million: float  # first 333 million requests a month
    function_url_per_million: float  # no fee: the function's own request price covers it
    # DynamoDB on-demand (standard table class)
    dynamodb_per_million_rru: float
    dynamodb_per_million_wru: float
    dynamodb_storage_per_gb_month: float
    dynamodb_pitr_per_gb_month: float
    # S3 Standard
    s3_storage_per_gb_month: float  # first 50 TB
    s3_put_class_per_thousand: float  # PUT, COPY, POST, LIST (multipart calls are PUTs)
    s3_get_class_per_thousand: float  # GET, SELECT, HEAD and all other requests
    # Data transfer out to the internet (the same table for S3 and ECR); in-region is free
    internet_transfer_tiers: tuple[Tier, ...]
    # KMS: the token key (HMAC_256), and its GenerateMac requests (symmetric and HMAC
    # requests share one price; asymmetric Sign, before issue 16, was $0.15 per 10,000)
    kms_key_per_month: float
    kms_requests_per_10k: float
    # CloudWatch
    logs_ingest_per_gb: float
    custom_metric_per_month: float  # first 10,000 metrics
    # ECR, for the comparison
    ecr_storage_per_gb_month: float
    # Events (chalicelib/events/): custom events on a bus, and standard SQS requests
    eventbridge_per_million_events: float = 1.00
    sqs_per_million_requests: float = 0.40
    # Lambda arm64 (Graviton): 20% less per GB-second than x86_64
    lambda_arm_per_gb_second: float = 0.0000133334

    def lambda_gb_second(self, architecture: str) -> float:
        """The GB-second price of a function of `architecture` (Lambda's names)."""
        if architecture == "arm64":
            return self.lambda_arm_per_gb_second
        if architecture == "x86_64":
            return self.lambda_per_gb_second
        raise ValueError(f"Lambda has no architecture {architecture!r} (arm64, x86_64)")


US_EAST_1 = Prices(
    lambda_per_million_requests=0.20,
    lambda_per_gb_second=0.0000166667,
    api_gateway_rest_per_million=3.50,
    function_url_per_million=0.0,
    dynamodb_per_million_rru=0.125,
    dynamodb_per_million_wru=0.625,
    dynamodb_storage_per_gb_month=0.25,
    dynamodb_pitr_per_gb_month=0.20,
    s3_storage_per_gb_month=0.023,
    s3_put_class_per_thousand=0.005,
    s3_get_class_per_thousand=0.0004,
    internet_transfer_tiers=(
        Tier(10 * TB, 0.09),
        Tier(40 * TB, 0.085),
        Tier(100 * TB, 0.07),
        Tier(None, 0.05),
    ),
    kms_key_per_month=1.00,
    kms_requests_per_10k=0.03,
    logs_ingest_per_gb=0.50,
    custom_metric_per_month=0.30,
    ecr_storage_per_gb_month=0.10,
)


def tiered(gb: float, tiers: tuple[Tier, ...]) -> float:
    """The price of `gb` GB through consecutive tiers (each tier's size, not a cumulative
    bound, is `up_to_gb`)."""
    cost = 0.0
    left = gb
    for tier in tiers:
        block = left if tier.up_to_gb is None else min(left, tier.up_to_gb)
        cost += block * tier.usd_per_gb
        left -= block
        if left <= 0:
            break
    return cost


def usd(value: float) -> str:
    """A unit price as written on AWS's pages: $0.20, $0.0000166667, never 1.66667e-05."""
    text = f"{value:.10f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def describe(prices: Prices) -> list[tuple[str, str]]:
    """(what, price) lines for the printout."""
    tiers = ", ".join(
        f"{'rest' if t.up_to_gb is None else f'next {t.up_to_gb / TB:g} TB'} {usd(t.usd_per_gb)}/GB"
        for t in prices.internet_transfer_tiers
    )
    return [
        ("Lambda requests", f"{usd(prices.lambda_per_million_requests)}/million"),
        ("Lambda compute (x86_64)", f"{usd(prices.lambda_per_gb_second)}/GB-second"),
        ("Lambda compute (arm64)", f"{usd(prices.lambda_arm_per_gb_second)}/GB-second"),
        ("API Gateway REST API", f"{usd(prices.api_gateway_rest_per_million)}/million requests"),
        ("Lambda Function URL", "no request fee"),
        ("DynamoDB on-demand reads", f"{usd(prices.dynamodb_per_million_rru)}/million RRU"),
        ("DynamoDB on-demand writes", f"{usd(prices.dynamodb_per_million_wru)}/million WRU"),
        (
            "DynamoDB storage + PITR",
            f"{usd(prices.dynamodb_storage_per_gb_month)} + "
            f"{usd(prices.dynamodb_pitr_per_gb_month)}/GB-month",
        ),
        ("S3 Standard storage", f"{usd(prices.s3_storage_per_gb_month)}/GB-month"),
        ("S3 PUT/COPY/POST/LIST", f"{usd(prices.s3_put_class_per_thousand)}/1,000"),
        ("S3 GET/HEAD/other", f"{usd(prices.s3_get_class_per_thousand)}/1,000"),
        ("Data transfer out, internet", tiers),
        ("Data transfer out, same region", "free"),
        (
            "KMS key (HMAC)",
            f"{usd(prices.kms_key_per_month)}/month"
            f" + {usd(prices.kms_requests_per_10k)}/10,000 requests",
        ),
        ("CloudWatch Logs ingestion", f"{usd(prices.logs_ingest_per_gb)}/GB"),
        ("CloudWatch custom metrics", f"{usd(prices.custom_metric_per_month)}/metric-month"),
        ("ECR storage", f"{usd(prices.ecr_storage_per_gb_month)}/GB-month (API calls free)"),
    ]
