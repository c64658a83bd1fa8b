"""Small charts drawn on the server as inline SVG (no script, nothing for the CSP to allow):
where numbers over time or side by side say more than a table.

- storage per repository: from the listing the repositories page has already read (no call),
  as an image so its labels are not page text;
- pushes per day of a repository: its audit partition over the last 30 days (1 Query, at
  most MAX_EVENTS events read; a busier month is drawn from its newest events, and says so);
- pulls per day of a repository: its approximate counters (chalicelib/storage/pull_counts.py),
  a standalone SVG served by its own URL (chalicelib/web/pulls_chart.py) so the pages that
  show it keep their own call counts; the page's stylesheet does not reach into an `<img>`,
  so a standalone chart carries its colours and font as SVG attributes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

from chalicelib.web.html import e, human_size

WIDTH = 640
BAR = 16
DAYS = 30
MAX_EVENTS = 1000
MAX_BARS = 10


def horizontal_bars(
    values: list[tuple[str, int]], label: Callable[[int], str], *, chart_id: str, title: str
) -> str:
    """One bar per (name, value), longest first, at most MAX_BARS of them."""
    shown = sorted(values, key=lambda v: v[1], reverse=True)[:MAX_BARS]
    if not shown or shown[0][1] <= 0:
        return ""
    top = shown[0][1]
    left, right = 200, 90
    span = WIDTH - left - right
    height = len(shown) * (BAR + 6) + 6
    parts = []
    for i, (name, value) in enumerate(shown):
        y = 6 + i * (BAR + 6)
        width = max(1, round(span * value / top)) if value > 0 else 0
        parts.append(
            f'<text x="{left - 6}" y="{y + BAR - 4}" text-anchor="end">{e(name[-32:])}</text>'
            f'<rect class="bar" x="{left}" y="{y}" width="{width}" height="{BAR}">'
            f"<title>{e(name)}: {e(label(value))}</title></rect>"
            f'<text x="{left + width + 4}" y="{y + BAR - 4}">{e(label(value))}</text>'
        )
    return (
        f'<svg class="chart" id="{e(chart_id)}" role="img" aria-label="{e(title)}" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )


def as_image(svg: str, alt: str, image_id: str) -> str:
    """The SVG as an `<img>` of a data: URL (the CSP allows `img-src data:`): its labels stay
    out of the page's text, so searching the page finds each repository once, in the table."""
    import base64

    data = base64.b64encode(svg.encode()).decode()
    source = f"data:image/svg+xml;base64,{data}"
    return f'<img id="{e(image_id)}" class="chart" alt="{e(alt)}" src="{source}">'


def storage_per_repository(sizes: list[tuple[str, int]]) -> str:
    chart = horizontal_bars(
        sizes, human_size, chart_id="storage-svg", title="storage per repository"
    )
    if not chart:
        return ""
    return "<h2>Storage per repository</h2>" + as_image(
        chart, "storage per repository (the largest ten)", "storage-chart"
    )


BAR_FILL = "#3a6ea5"  # as the stylesheet's `rect.bar`


def daily_columns(
    counts: dict[date, int],
    last: date,
    *,
    chart_id: str,
    title: str,
    standalone: bool = False,
    caption: str = "",
) -> str:
    """One column per day of the DAYS days ending `last`, labelled every week. `standalone`:
    served as an image of its own, so it carries its namespace, colours and font, and a
    `caption` line above the columns (an image's text is not the page's)."""
    days = [last - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    top = max([counts.get(d, 0) for d in days] + [1])
    fill = f' fill="{BAR_FILL}"' if standalone else ""
    lift = 18 if caption else 0
    height, base, column = 120 + lift, 100 + lift, (WIDTH - 40) // DAYS
    parts = [f'<line x1="30" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="#999"/>']
    if caption:
        parts.append(f'<text x="30" y="12">{e(caption)}</text>')
    parts.append(f'<text x="26" y="{12 + lift}" text-anchor="end">{top}</text>')
    for i, day in enumerate(days):
        count = counts.get(day, 0)
        tall = round((base - 14 - lift) * count / top)
        x = 32 + i * column
        parts.append(
            f'<rect class="bar"{fill} x="{x}" y="{base - tall}" width="{column - 3}" '
            f'height="{tall}"><title>{day.isoformat()}: {count}</title></rect>'
        )
        if (i % 7 == 0 and i < DAYS - 3) or i == DAYS - 1:  # the last label stands alone
            parts.append(f'<text x="{x}" y="{base + 14}">{day.strftime("%m-%d")}</text>')
    font = ' font-family="sans-serif" font-size="10" fill="#1d2330"' if standalone else ""
    return (
        f'<svg class="chart" id="{e(chart_id)}" role="img" aria-label="{e(title)}" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}"{font} '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )


def pulls_per_day(counts: dict[date, int], today: date) -> str:
    """The standalone chart of a repository's approximate pulls over the DAYS days to today."""
    total = sum(n for day, n in counts.items() if today - timedelta(days=DAYS - 1) <= day <= today)
    return daily_columns(
        counts,
        today,
        chart_id="pulls-svg",
        title="pulls per day (approximate)",
        standalone=True,
        caption=f"about {total} pulls in the last {DAYS} days (approximate)",
    )


PULLS_NOTE = (
    "Approximate: each function instance counts pulls (manifest GETs) in memory and writes "
    "them at most once a minute, so an instance that stops loses its last minute's count."
)


def pulls_image(repository: str) -> str:
    """The pulls chart as it sits in a page: an `<img>` of its own URL (1 Query there, none
    here), with the note that says how approximate it is."""
    from urllib.parse import quote

    source = f"/ui/pulls-chart?name={quote(repository)}"
    return (
        f'<h2>Pulls per day</h2><p class="note">{e(PULLS_NOTE)}</p>'
        f'<img id="pulls-chart" class="chart" src="{e(source)}" width="{WIDTH}" '
        f'alt="pulls per day over the last {DAYS} days (approximate)">'
    )


def pushes_per_day(repository: str, today: date) -> str:
    from chalicelib.audit import store
    from chalicelib.audit.events import repository_key

    since = (today - timedelta(days=DAYS - 1)).isoformat() + "T00:00:00Z"
    events, more = store.query(repository_key(repository), limit=MAX_EVENTS, since=since)
    counts = Counter(ev.at.date() for ev in events if ev.action == "push" and ev.outcome == "ok")
    total = sum(counts.values())
    chart = daily_columns(dict(counts), today, chart_id="pushes-chart", title="pushes per day")
    note = f" (from the newest {MAX_EVENTS} events)" if more else ""
    return f"<h2>Pushes per day</h2><p>{total} in the last {DAYS} days{note}.</p>{chart}"
