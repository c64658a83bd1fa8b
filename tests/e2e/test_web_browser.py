"""The web interface in a real browser (Debian's chromium, driven by Playwright; never
`playwright install`): against `berth serve`, search as you type filters the repositories, a
click opens the tags, another the image; the strict CSP holds (no console error, which is how
a blocked inline script or style shows)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from tests.e2e.images import write_image
from tests.e2e.support import Registry, skopeo_push

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_browse_search_and_open_an_image(registry: Registry, scratch: Path) -> None:
    from playwright.sync_api import sync_playwright

    marker = uuid.uuid4().hex[:8]
    wanted, other = f"web/{marker}-app", f"web/{marker}-db"
    image = write_image(scratch / "src", "v1")
    skopeo_push(image.reference, registry.docker(wanted, "v1"))
    skopeo_push(image.reference, registry.docker(other, "v1"))
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"http://{registry.host}/ui")
            rows = page.locator("#repositories tbody tr")
            assert page.locator(f"text={wanted}").count() == 1
            page.fill("input[type=search]", f"{marker}-app")
            visible = [r for r in rows.all() if r.is_visible()]
            assert [r.locator("a").inner_text() for r in visible] == [wanted]
            page.click(f"text={wanted}")
            page.wait_for_url(lambda url: "/ui/repository" in url and f"{marker}-app" in url)
            assert page.locator("#tags tbody tr").count() == 1
            assert "v1" in page.locator("#tags").inner_text()
            page.click("#tags a[href*='/ui/history']")
            page.wait_for_url(lambda url: "/ui/history" in url)
            assert page.locator("#history tbody tr").count() == 1  # the push of v1
            page.go_back()
            page.click("#tags a[href*='/ui/image']")
            page.wait_for_url(lambda url: "/ui/image" in url)
            assert page.locator("h2", has_text="Layers").count() == 1
            assert image.manifest.digest in page.content()
        finally:
            browser.close()
    assert errors == [], errors
