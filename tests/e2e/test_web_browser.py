"""The web interface in a real browser (Debian's chromium, driven by Playwright; never
`playwright install`): against `berth serve`, search as you type filters the repositories, a
click opens the tags, another the image; the strict CSP holds (no console error, which is how
a blocked inline script or style shows)."""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.images import CREATED, write_image
from tests.e2e.support import Registry, skopeo_push

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


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
            # A single image's platform is its config's; it was never scanned.
            cells = page.locator("#tags tbody tr td")
            assert cells.nth(3).inner_text() == "linux/amd64"
            assert cells.nth(6).inner_text() == "not scanned"
            page.click("#tags a[href*='/ui/history']")
            page.wait_for_url(lambda url: "/ui/history" in url)
            assert page.locator("#history tbody tr").count() == 1  # the push of v1
            page.go_back()
            page.click("#tags a[href*='/ui/image']")
            page.wait_for_url(lambda url: "/ui/image" in url)
            assert page.locator("h2", has_text="Layers").count() == 1
            assert image.manifest.digest in page.content()
            # The config's times for people, the exact value in the tooltip.
            created = page.locator("table time").first
            assert created.get_attribute("title") == CREATED
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC \(.+ ago\)", created.inner_text())
            assert "No scan pull policy" in page.locator("#pull-policy").inner_text()
        finally:
            browser.close()
    assert errors == [], errors


def test_scan_findings_sort_in_the_browser(registry: Registry) -> None:
    """The findings table sorts by a column on click (the script, under the strict CSP):
    severity by rank, packages by name, a second click reverses."""
    from playwright.sync_api import expect, sync_playwright

    from tests.api.helpers import digest_of
    from tests.scanning.advisories import DEBIAN_ADVISORIES, LANGUAGE_ADVISORIES
    from tests.scanning.test_scan_api import debian_image

    repository = f"web/{uuid.uuid4().hex[:8]}-scanned"
    advisories = json.dumps({"advisories": DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES}).encode()
    imported = registry.request(
        "POST", "/v2/_berth/vulndb", {"Content-Type": "application/json"}, advisories
    )
    assert imported.status == 200, imported.body
    image = debian_image()
    for blob in image.blobs:
        stored = registry.request(
            "POST",
            f"/v2/{repository}/blobs/uploads/?digest={digest_of(blob)}",
            {"Content-Type": "application/octet-stream"},
            blob,
        )
        assert stored.status == 201, stored.body
    put = registry.request(
        "PUT", f"/v2/{repository}/manifests/1.0", {"Content-Type": image.media_type}, image.body
    )
    assert put.status == 201, put.body
    queued = registry.request("POST", f"/v2/{repository}/_berth/scan/1.0")
    assert queued.status == 202, queued.body
    for _ in range(120):  # the local pipeline runs the scan function's handler
        scanned = registry.request("GET", f"/v2/{repository}/_berth/scan/1.0")
        if json.loads(scanned.body)["imageScanStatus"]["status"] == "COMPLETE":
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the queued scan did not complete: {scanned.body!r}")
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"http://{registry.host}/ui/image?name={repository}&digest={image.digest}")
            expect(page.locator("#severity-counts")).to_contain_text("critical 1")
            packages = page.locator("#findings tbody tr td:nth-child(3)")
            page.click("#findings button.sort:has-text('Package')")
            expect(packages.first).to_have_text("jinja2")
            names = packages.all_inner_texts()
            assert names == sorted(names)
            page.click("#findings button.sort:has-text('Package')")
            expect(packages.first).to_have_text("zlib1g")
            page.click("#findings button.sort:has-text('Severity')")
            severities = page.locator("#findings tbody tr td:nth-child(1)")
            expect(severities.first).to_have_text("critical")
            assert severities.all_inner_texts()[:3] == ["critical", "high", "high"]
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "image-findings.png"), full_page=True)
            policy = json.dumps({"severity": "critical"}).encode()
            put = registry.request(
                "PUT",
                f"/v2/{repository}/_berth/scan-policy",
                {"Content-Type": "application/json"},
                policy,
            )
            assert put.status == 200, put.body
            page.reload()
            expect(page.locator("#pull-policy")).to_contain_text("refused")
            expect(page.locator("#pull-policy")).to_contain_text("DEBIAN-CVE-2023-45853")
            page.screenshot(path=str(SCREENSHOTS / "image-pull-policy.png"), full_page=True)
            page.goto(f"http://{registry.host}/ui/repository?name={repository}")
            badge = page.locator("#tags tbody tr td span.scan")
            expect(badge).to_have_text("critical 1")
            assert "high 2" in (badge.get_attribute("title") or "")
            page.screenshot(path=str(SCREENSHOTS / "repository.png"), full_page=True)
        finally:
            browser.close()
    assert errors == [], errors


def test_pulls_per_day_on_the_repository_page(registry: Registry, scratch: Path) -> None:
    """skopeo pulls an image twice; the repository page shows the pulls chart (an image of
    its own URL, loaded under the strict CSP) whose today's column is every manifest GET the
    server logged: `berth serve` is one instance, and the chart writes its tally first."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.support import run

    repository = f"web/{uuid.uuid4().hex[:8]}-pulled"
    image = write_image(scratch / "src", "v1")
    skopeo_push(image.reference, registry.docker(repository, "v1"))
    for n in range(2):
        run(
            [
                "skopeo",
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                registry.docker(repository, "v1"),
                f"oci:{scratch / f'pulled-{n}'}:v1",
            ]
        )
    gets = [
        r
        for r in registry.log_records()
        if r.get("method") == "GET"
        and r.get("status") == 200
        and f"/v2/{repository}/manifests/" in str(r.get("path"))
    ]
    assert len(gets) >= 2, "each skopeo copy GETs the manifest"
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"http://{registry.host}/ui/repository?name={repository}")
            chart = page.locator("img#pulls-chart")
            chart.scroll_into_view_if_needed()
            page.wait_for_function(
                "() => { const i = document.querySelector('#pulls-chart');"
                " return i && i.complete && i.naturalWidth > 0; }"
            )
            assert "Approximate" in page.locator("p.note").inner_text()
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "repository-pulls.png"), full_page=True)
            source = chart.get_attribute("src") or ""
            answer = page.request.get(f"http://{registry.host}{source}")
            assert answer.status == 200
            assert answer.headers["content-type"] == "image/svg+xml"
            svg = answer.text()
        finally:
            browser.close()
    assert errors == [], errors
    columns = re.findall(r"<title>(\d{4}-\d\d-\d\d): (\d+)</title>", svg)
    assert len(columns) == 30 and int(columns[-1][1]) == len(gets), (len(gets), columns[-3:])
    assert f"about {len(gets)} pulls in the last 30 days (approximate)" in svg


def test_copy_a_pull_command_and_pull_with_it(registry: Registry, scratch: Path) -> None:
    """The repository page's podman/skopeo/docker buttons put this registry's pull command on
    the clipboard (the script, under the strict CSP); skopeo runs the copied one."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.support import run

    repository = f"web/{uuid.uuid4().hex[:8]}-copied"
    image = write_image(scratch / "src", "v1")
    skopeo_push(image.reference, registry.docker(repository, "v1"))
    errors: list[str] = []
    copied: dict[str, str] = {}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"http://{registry.host}/ui/repository?name={repository}")
            for tool in ("docker", "podman", "skopeo"):
                button = page.locator("#tags tbody tr button.copy", has_text=tool)
                handle = button.element_handle()  # its label becomes "copied"
                handle.click()
                page.wait_for_function("b => b.textContent === 'copied'", arg=handle)
                copied[tool] = page.evaluate("navigator.clipboard.readText()")
        finally:
            browser.close()
    assert errors == [], errors
    reference = f"{registry.host}/{repository}:v1"
    assert copied["docker"] == f"docker pull {reference}"
    assert copied["podman"] == f"podman pull {reference}"
    assert copied["skopeo"] == f"skopeo copy docker://{reference} oci:./image"
    command = copied["skopeo"].split()
    run(
        [
            command[0],
            command[1],
            "--quiet",
            "--src-tls-verify=false",
            command[2],
            f"oci:{scratch / 'copied'}:v1",
        ]
    )
    assert (scratch / "copied" / "index.json").exists()
