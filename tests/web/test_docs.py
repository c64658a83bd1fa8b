"""The web interface is findable: the README's first screen says it exists and where, at the
port `berth serve` really listens on by default, and docs/web.md describes every page path
app.py serves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_SCREEN_LINES = 30


def _serve_default_port() -> int:
    from berth.cli import _parser

    arguments = _parser().parse_args(["serve"])
    return int(arguments.port)


def test_the_readme_first_screen_says_where_the_ui_is() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    first_screen = "\n".join(lines[:FIRST_SCREEN_LINES])
    assert f"http://127.0.0.1:{_serve_default_port()}/ui/" in first_screen
    assert "docs/web.md" in first_screen
    shown = re.search(r"!\[[^\]]+\]\((docs/[^)]+\.png)\)", "\n".join(lines[:45]))
    assert shown is not None, "the README shows a screenshot of the UI near the top"
    assert (ROOT / shown.group(1)).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    makefile = (ROOT / "Makefile").read_text()
    assert f"PORT    ?= {_serve_default_port()}" in makefile, "make serve's port is berth serve's"


def test_docs_web_describes_every_page() -> None:
    from chalicelib.web.paths import PAGES

    text = (ROOT / "docs" / "web.md").read_text()
    named = [rf"(?<![\w/-]){re.escape(path)}(?=[`?])" for path in sorted(PAGES)]  # `/ui/x`, /ui/x?
    missing = [
        path
        for path, pattern in zip(sorted(PAGES), named, strict=True)
        if not re.search(pattern, text)
    ]
    assert missing == []
    assert "approximate" in text.lower()
