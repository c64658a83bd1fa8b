"""Break-even curves: the month's cost of Berth (both front doors) and of ECR as one driver of
the workload grows and the rest stays as given, for `berth cost --csv` and `--plot`.

Two drivers, because they move the comparison in opposite directions: pulls cost Berth
requests (Lambda, DynamoDB, S3 GETs, logs) and cost ECR nothing, while stored gigabytes cost
ECR four times what they cost S3. Totals are for pulls in the registry's region (no data
transfer, which is the same on both sides).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace

from berth.cost.calls import CallTable
from berth.cost.model import Workload, estimate
from berth.cost.prices import US_EAST_1, Prices

STEPS = 20


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    function_url: float
    api_gateway: float
    ecr: float


@dataclass(frozen=True, slots=True)
class Curve:
    driver: str  # "pulls" or "stored_gb"
    label: str  # the axis title
    reference: float  # the given workload's value of the driver
    points: tuple[Point, ...]


def _axis(reference: float, fallback: float) -> list[float]:
    """0 to twice the reference (or to `fallback` when the reference is 0), STEPS + 1 points,
    the reference itself among them."""
    top = 2 * reference if reference > 0 else fallback
    return [top * i / STEPS for i in range(STEPS + 1)]


def _point(workload: Workload, table: CallTable, prices: Prices, x: float) -> Point:
    result = estimate(workload, table, prices)
    return Point(
        x,
        result.total("function_url", False),
        result.total("api_gateway", False),
        result.total("ecr", False),
    )


def curves(workload: Workload, table: CallTable, prices: Prices = US_EAST_1) -> list[Curve]:
    """Monthly totals as pulls grow, and as stored GB grow."""
    by_pulls = tuple(
        _point(replace(workload, pulls=round(x)), table, prices, round(x))
        for x in _axis(workload.pulls, 1_000_000)
    )
    by_stored = tuple(
        _point(replace(workload, stored_gb=x), table, prices, x)
        for x in _axis(workload.stored_gb, 500)
    )
    return [
        Curve("pulls", "pulls a month", workload.pulls, by_pulls),
        Curve("stored_gb", "GB stored", workload.stored_gb, by_stored),
    ]


def break_even(curve: Curve) -> float | None:
    """Where the Function URL line crosses ECR's (linear between points), or None."""
    for a, b in zip(curve.points, curve.points[1:], strict=False):
        da, db = a.function_url - a.ecr, b.function_url - b.ecr
        if da == 0:
            return a.x
        if (da < 0) != (db < 0):
            return a.x + (b.x - a.x) * da / (da - db)
    return None


def to_csv(found: list[Curve]) -> str:
    """driver,x,function_url_usd,api_gateway_usd,ecr_usd,reference (1 on the given workload)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["driver", "x", "function_url_usd", "api_gateway_usd", "ecr_usd", "reference"])
    for curve in found:
        for p in curve.points:
            writer.writerow(
                [
                    curve.driver,
                    f"{p.x:g}",
                    f"{p.function_url:.2f}",
                    f"{p.api_gateway:.2f}",
                    f"{p.ecr:.2f}",
                    int(p.x == curve.reference),
                ]
            )
    return out.getvalue()
