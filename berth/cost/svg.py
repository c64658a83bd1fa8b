"""`berth cost --plot`: the break-even curves as an SVG a browser opens, written by hand so
that the client needs no plotting library: one panel per driver (pulls a month, GB stored),
three lines (Berth behind the Function URL, behind API Gateway, and ECR), the given workload
marked by a dashed vertical line, and where Berth and ECR cross."""

from __future__ import annotations

from xml.sax.saxutils import escape

from berth.cost.curves import Curve, Point, break_even

WIDTH = 720
PANEL = 300  # height of one panel
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 30, 40, 50
SERIES = (
    ("Berth, Function URL", "function_url", "#1f77b4", ""),
    ("Berth, API Gateway", "api_gateway", "#ff7f0e", ""),
    ("ECR", "ecr", "#555555", "6 4"),
)


def _nice_top(value: float) -> float:
    """A round number at or above `value` for the y axis (1, 2 or 5 x 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _quantity(x: float) -> str:
    if x >= 1_000_000:
        return f"{x / 1_000_000:g}M"
    if x >= 1_000:
        return f"{x / 1_000:g}k"
    return f"{x:,.0f}"


def _value(point: Point, key: str) -> float:
    return {"function_url": point.function_url, "api_gateway": point.api_gateway}.get(
        key, point.ecr
    )


def _panel(curve: Curve, top_y: float) -> list[str]:
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = PANEL - MARGIN_TOP - MARGIN_BOTTOM
    x_max = curve.points[-1].x or 1.0
    y_max = _nice_top(max(max(_value(p, key) for p in curve.points) for _, key, _, _ in SERIES))

    def sx(x: float) -> float:
        return MARGIN_LEFT + plot_w * x / x_max

    def sy(y: float) -> float:
        return top_y + MARGIN_TOP + plot_h * (1 - y / y_max)

    bottom = sy(0)
    out = [
        f'<text x="{WIDTH / 2:.0f}" y="{top_y + 22:.0f}" text-anchor="middle" '
        f'font-size="15" font-weight="bold">Monthly cost as {escape(curve.label)} grow '
        "(pulls in-region)</text>",
        f'<line x1="{MARGIN_LEFT}" y1="{bottom:.1f}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y2="{bottom:.1f}" stroke="black"/>',
        f'<line x1="{MARGIN_LEFT}" y1="{sy(y_max):.1f}" x2="{MARGIN_LEFT}" y2="{bottom:.1f}" '
        'stroke="black"/>',
    ]
    for i in range(6):
        y = y_max * i / 5
        out.append(
            f'<line x1="{MARGIN_LEFT}" y1="{sy(y):.1f}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y2="{sy(y):.1f}" stroke="#e0e0e0"/>'
        )
        out.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{sy(y) + 4:.1f}" text-anchor="end" '
            f'font-size="11">${y:,.0f}</text>'
        )
        x = x_max * i / 5
        out.append(
            f'<text x="{sx(x):.1f}" y="{bottom + 16:.1f}" text-anchor="middle" '
            f'font-size="11">{_quantity(x)}</text>'
        )
    out.append(
        f'<text x="{MARGIN_LEFT + plot_w / 2:.0f}" y="{bottom + 34:.1f}" text-anchor="middle" '
        f'font-size="12">{escape(curve.label)}</text>'
    )
    for name, key, colour, dash in SERIES:
        path = " ".join(f"{sx(p.x):.1f},{sy(_value(p, key)):.1f}" for p in curve.points)
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dashes} points="{path}">'
            f"<title>{escape(name)}</title></polyline>"
        )
    ref = sx(curve.reference)
    out.append(
        f'<line x1="{ref:.1f}" y1="{sy(y_max):.1f}" x2="{ref:.1f}" y2="{bottom:.1f}" '
        'stroke="#2ca02c" stroke-dasharray="3 3"/>'
    )
    out.append(
        f'<text x="{ref + 4:.1f}" y="{sy(y_max) + 12:.1f}" font-size="11" fill="#2ca02c">'
        f"reference: {_quantity(curve.reference)}</text>"
    )
    crossing = break_even(curve)
    if crossing is not None:
        out.append(
            f'<text x="{sx(crossing):.1f}" y="{sy(y_max) + 26:.1f}" font-size="11" '
            f'text-anchor="middle">Berth (Function URL) = ECR at {_quantity(crossing)}</text>'
        )
    return out


def _legend(y: float) -> list[str]:
    out = []
    x = MARGIN_LEFT
    for name, _, colour, dash in SERIES:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x}" y1="{y:.0f}" x2="{x + 24}" y2="{y:.0f}" stroke="{colour}" '
            f'stroke-width="2"{dashes}/>'
        )
        out.append(f'<text x="{x + 30}" y="{y + 4:.0f}" font-size="12">{escape(name)}</text>')
        x += 200
    return out


def render_svg(found: list[Curve], title: str) -> str:
    """The whole picture: a title, one panel per curve, the legend."""
    height = 40 + PANEL * len(found) + 30
    body = [
        f'<text x="{WIDTH / 2:.0f}" y="24" text-anchor="middle" font-size="14">'
        f"{escape(title)}</text>"
    ]
    for i, curve in enumerate(found):
        body += _panel(curve, 40 + PANEL * i)
    body += _legend(40 + PANEL * len(found) + 12)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">\n'
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n"
    )
