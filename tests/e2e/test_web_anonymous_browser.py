"""An anonymous visitor in Debian's Chromium (through Playwright, never `playwright install`)
against `berth serve --auth`: nothing public, the sign-in page; the admin makes one
repository public from the administration page; a visitor then browses it (its repository and
image pages) without signing in and never sees the private one, then signs in and does."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.images import write_image
from tests.e2e.support import Registry, skopeo_push

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _sign_in(page: Any, registry: Registry, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"http://{registry.host}/ui")


def test_a_visitor_browses_a_public_repository_then_signs_in_for_the_private_one(
    secured: tuple[Registry, str], scratch: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    registry, password = secured
    marker = uuid.uuid4().hex[:8]
    public, private = f"open{marker}/app", f"closed{marker}/app"
    creds = f"admin:{password}"
    shown = write_image(scratch / "one", "v1")
    skopeo_push(shown.reference, registry.docker(public, "v1"), "--dest-creds", creds)
    skopeo_push(shown.reference, registry.docker(private, "v1"), "--dest-creds", creds)
    base = f"http://{registry.host}"
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            visitor = browser.new_context().new_page()
            visitor.on("pageerror", lambda error: errors.append(str(error)))
            visitor.goto(f"{base}/ui")
            visitor.wait_for_url(f"{base}/ui/login")  # nothing public yet

            admin = browser.new_context().new_page()
            admin.goto(f"{base}/ui/login")
            _sign_in(admin, registry, "admin", password)
            admin.goto(f"{base}/ui/admin")
            admin.locator("#add-public input[name=pattern]").fill(f"open{marker}/*")
            admin.locator("#add-public button[type=submit]").click()
            expect(admin.locator("p.notice")).to_contain_text("public now")
            admin.goto(f"{base}/ui")
            row = admin.locator("#repositories tr", has_text=private)
            expect(row).to_contain_text("private")
            expect(admin.locator("#repositories tr", has_text=public)).to_contain_text("public")

            visitor.goto(f"{base}/ui")
            expect(visitor.locator("#repositories")).to_contain_text(public)
            assert private not in visitor.content()
            expect(visitor.locator("#sign-in-link")).to_be_visible()
            visitor.click(f"text={public}")
            expect(visitor.locator("#tags")).to_contain_text("v1")
            assert visitor.locator("#settings-link").count() == 0
            assert "admin" not in visitor.locator("#tags").inner_text()  # who pushed: hidden
            visitor.locator("#tags a code").first.click()
            visitor.wait_for_url(lambda url: "/ui/image?" in url)
            expect(visitor.locator("main")).to_contain_text(shown.manifest.digest[:19])
            missing = visitor.goto(f"{base}/ui/repository?name={private}")
            assert missing is not None and missing.status == 404

            visitor.click("#sign-in-link")
            visitor.wait_for_url(f"{base}/ui/login")
            _sign_in(visitor, registry, "admin", password)
            expect(visitor.locator("#repositories")).to_contain_text(private)
            expect(visitor.locator("#repositories tr", has_text=private)).to_contain_text("private")
        finally:
            browser.close()
    assert errors == []
