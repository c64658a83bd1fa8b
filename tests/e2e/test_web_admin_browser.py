"""The web interface's signed-in paths in a real browser (Debian's chromium through
Playwright; never `playwright install`) against `berth serve --auth`: the admin signs in,
creates a robot and sees its secret once, skopeo pulls with it; the admin rolls a tag back and
skopeo pulls the earlier digest; the admin changes a setting, the pull-only robot is shown no
settings and refused when it posts one anyway. Screenshots of each page land in
tests/e2e/screenshots/ (git-ignored) for a person to look at."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.images import write_image
from tests.e2e.support import Registry, run, skopeo_push

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def sign_in(page: Any, registry: Registry, username: str, password: str) -> None:
    page.goto(f"http://{registry.host}/ui/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"http://{registry.host}/ui")


def refused(message: Any) -> bool:
    """A console error other than the status line of a page meant to be refused (the bad
    policy's 400): a CSP violation or a script error would be one."""
    return bool(message.type == "error") and "status of 400" not in message.text


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_admin_creates_a_robot_rolls_back_and_is_obeyed(
    secured: tuple[Registry, str], scratch: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    registry, password = secured
    marker = uuid.uuid4().hex[:8]
    repository = f"web/{marker}-app"
    admin_creds = f"admin:{password}"
    first = write_image(scratch / "one", "v1")
    second = write_image(scratch / "two", "v1")
    skopeo_push(first.reference, registry.docker(repository, "v1"), "--dest-creds", admin_creds)
    skopeo_push(second.reference, registry.docker(repository, "v1"), "--dest-creds", admin_creds)
    robot = f"puller{marker}"
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if refused(m) else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            sign_in(page, registry, "admin", password)
            shoot(page, "repositories")

            # A robot that may pull this repository: its secret, once.
            page.click("header a.admin-link")
            page.wait_for_url(lambda url: url.endswith("/ui/admin"))
            form = page.locator("#create-robot")
            form.locator("input[name=name]").fill(robot)
            form.locator("input[name=pattern]").fill(repository)
            form.locator("select[name=level]").select_option("pull")
            form.locator("button[type=submit]").click()
            secret = page.locator("#secret").inner_text()
            assert secret.startswith("berth_robot_")
            shoot(page, "robot-secret")
            page.click("text=the robot's page")
            expect(page.locator("#grants")).to_contain_text(repository)
            assert secret not in page.content()
            shoot(page, "robot")

            # skopeo logs in with it and pulls.
            authfile = scratch / "robot-auth.json"
            run(
                [
                    "skopeo", "login", "--tls-verify=false", "--authfile", authfile,
                    "-u", f"robot${robot}", "-p", secret, registry.host,
                ]
            )  # fmt: skip
            pulled = run(
                [
                    "skopeo", "inspect", "--tls-verify=false", "--authfile", authfile,
                    registry.docker(repository, "v1"),
                ]
            )  # fmt: skip
            assert json.loads(pulled.stdout)["Digest"] == second.manifest.digest
            run(
                [
                    "skopeo", "copy", "--quiet", "--src-tls-verify=false",
                    "--src-authfile", authfile, registry.docker(repository, "v1"),
                    f"oci:{scratch / 'pulled'}:v1",
                ]
            )  # fmt: skip
            index = json.loads((scratch / "pulled" / "index.json").read_text())
            assert index["manifests"][0]["digest"] == second.manifest.digest

            # Roll v1 back to the first image from its history; skopeo sees it.
            page.goto(f"http://{registry.host}/ui/repository?name={repository}")
            page.click("#tags a[href*='/ui/history']")
            page.click("#history button:has-text('roll back to this')")
            expect(page.locator("p.notice")).to_contain_text("rolled back")
            shoot(page, "history")
            rolled = run(
                [
                    "skopeo", "inspect", "--tls-verify=false", "--authfile", authfile,
                    registry.docker(repository, "v1"),
                ]
            )  # fmt: skip
            assert json.loads(rolled.stdout)["Digest"] == first.manifest.digest

            # A setting changed by the admin.
            page.goto(f"http://{registry.host}/ui/repository?name={repository}")
            page.click("#settings-link")
            page.check("#immutability input[name=immutable]")
            page.fill("#immutability textarea[name=exclude]", "dev-*")
            page.click("#immutability button[type=submit]")
            expect(page.locator("p.notice")).to_contain_text("Immutability saved")
            expect(page.locator("#exclusions")).to_contain_text("dev-*")
            shoot(page, "settings")
            selection = {"tagStatus": "untagged", "countType": "sinceImagePushed"}
            wrong = {"rules": [{"rulePriority": 1, "selection": {**selection, "countNumber": 0}}]}
            page.fill("#lifecycle textarea[name=policy]", json.dumps(wrong))
            page.click("#lifecycle button[type=submit]")
            expect(page.locator("p.error")).to_contain_text("countNumber")  # a 400, said why
            page.go_back()
            selection |= {"countUnit": "days", "countNumber": 14}
            policy = {"rules": [{"rulePriority": 1, "selection": selection}]}
            page.fill("#lifecycle textarea[name=policy]", json.dumps(policy))
            page.click("#lifecycle button[type=submit]")
            expect(page.locator("#preview-summary")).to_contain_text(
                "Of 2 manifest(s), it would delete 0 now"
            )
            shoot(page, "lifecycle-preview")
            page.click("#lifecycle-save button[type=submit]")
            expect(page.locator("p.notice")).to_contain_text("Lifecycle policy saved")
            page.goto(f"http://{registry.host}/ui/admin/audit?repository={repository}")
            expect(page.locator("#audit")).to_contain_text("settings.change")
            shoot(page, "audit")

            # The pull-only robot: no settings link, the page refused, a forged post refused.
            robot_page = browser.new_page()
            robot_page.on("pageerror", lambda error: errors.append(str(error)))
            sign_in(robot_page, registry, f"robot${robot}", secret)
            expect(robot_page.locator("header a.admin-link")).to_have_count(0)
            robot_page.goto(f"http://{registry.host}/ui/repository?name={repository}")
            expect(robot_page.locator("#tags")).to_contain_text("v1")
            expect(robot_page.locator("#settings-link")).to_have_count(0)
            answer = robot_page.goto(f"http://{registry.host}/ui/settings?name={repository}")
            assert answer is not None and answer.status == 403
            csrf = robot_page.locator("input[name=csrf]").first.get_attribute("value") or ""
            posted = robot_page.request.post(
                f"http://{registry.host}/ui/settings",
                form={"csrf": csrf, "do": "immutability", "name": repository},
            )
            assert posted.status == 403
            admin_answer = robot_page.goto(f"http://{registry.host}/ui/admin")
            assert admin_answer is not None and admin_answer.status == 404
            shoot(robot_page, "refused")
            page.goto(f"http://{registry.host}/ui/settings?name={repository}")
            expect(page.locator("#exclusions")).to_contain_text("dev-*")  # still immutable
        finally:
            browser.close()
    assert errors == [], errors
    still = run(
        [
            "skopeo", "inspect", "--tls-verify=false", "--creds", admin_creds,
            registry.docker(repository, "v1"),
        ]
    )  # fmt: skip
    assert json.loads(still.stdout)["Digest"] == first.manifest.digest


def test_accounts_and_webhooks_from_the_pages(secured: tuple[Registry, str], scratch: Path) -> None:
    """The admin creates a user, disables it (its sign-in is refused), enables it and sets its
    password; the user changes their own password and skopeo logs in with the new one; the
    admin creates a webhook, pauses it and sends it a test delivery that lands in its log."""
    from playwright.sync_api import expect, sync_playwright

    registry, password = secured
    person = f"person{uuid.uuid4().hex[:8]}"
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if refused(m) else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            sign_in(page, registry, "admin", password)
            page.goto(f"http://{registry.host}/ui/admin")
            form = page.locator("#create-user")
            form.locator("input[name=name]").fill(person)
            form.locator("input[name=password]").fill("first-password")
            form.locator("input[name=pattern]").fill("web/*")
            form.locator("button[type=submit]").click()
            expect(page.locator("p.notice")).to_contain_text("created")
            page.click("button:has-text('disable this user')")
            expect(page.locator("p.notice")).to_contain_text("Disabled")

            other = browser.new_page()
            other.on("pageerror", lambda error: errors.append(str(error)))
            other.goto(f"http://{registry.host}/ui/login")
            other.fill("input[name=username]", person)
            other.fill("input[name=password]", "first-password")
            other.click("button[type=submit]")
            expect(other.locator("p.error")).to_contain_text("Incorrect")

            page.click("button:has-text('enable this user')")
            expect(page.locator("p.notice")).to_contain_text("Enabled")
            page.fill("#set-password input[name=password]", "second-password")
            page.click("#set-password button[type=submit]")
            expect(page.locator("p.notice")).to_contain_text("password was changed")
            shoot(page, "user")

            sign_in(other, registry, person, "second-password")
            other.click("#account-link")
            other.fill("#change-password input[name=current]", "second-password")
            other.fill("#change-password input[name=password]", "third-password")
            other.fill("#change-password input[name=again]", "third-password")
            other.click("#change-password button[type=submit]")
            expect(other.locator("p.notice")).to_contain_text("Your password was changed")
            expect(other.locator("#account-link")).to_have_text(person)  # still signed in
            shoot(other, "account")
            run(
                [
                    "skopeo", "login", "--tls-verify=false", "--authfile",
                    scratch / "auth.json", "-u", person, "-p", "third-password", registry.host,
                ]
            )  # fmt: skip

            page.goto(f"http://{registry.host}/ui/admin/webhooks")
            hook = page.locator("#create-webhook")
            hook.locator("input[name=url]").fill("https://hooks.example.invalid/berth")
            hook.locator("input[name=repositories]").fill("web/*")
            hook.locator("input[name='event.PUSH']").check()
            hook.locator("button[type=submit]").click()
            secret = page.locator("#webhook-secret").inner_text()
            assert len(secret) >= 16
            page.click("text=its deliveries")
            expect(page.locator("#webhooks")).to_contain_text("hooks.example.invalid")
            assert secret not in page.content()
            page.click("#webhooks button:has-text('disable')")
            expect(page.locator("p.notice")).to_contain_text("Paused")
            expect(page.locator("#webhooks")).to_contain_text("off")
            page.click("#webhooks button:has-text('send a test')")
            # hooks.example.invalid resolves nowhere: the test fails, and the page says so
            expect(page.locator("p.error")).to_contain_text("The test delivery failed")
            expect(page.locator("#deliveries")).to_contain_text("webhook.ping")
            shoot(page, "webhooks")
            page.goto(f"http://{registry.host}/ui/admin/audit")
            expect(page.locator("#audit")).to_contain_text("webhook.disable")
            expect(page.locator("#audit")).to_contain_text("user.password")
        finally:
            browser.close()
    assert errors == [], errors


def test_an_iam_caller_signs_in_through_a_one_time_link(
    secured: tuple[Registry, str], scratch: Path
) -> None:
    """`berth ui login` makes an IAM login password from AWS credentials (for the local
    server's moto, whose STS the registry replays it to) and trades it for a link; the
    browser opens it, presses the button, and is signed in as the IAM caller; the link then
    works no more."""
    import os
    import sys

    from playwright.sync_api import expect, sync_playwright

    registry, password = secured
    mapping = f"ci{uuid.uuid4().hex[:8]}"
    moto = re.search(r"in memory in moto at (\S+?);", registry.server.line)
    assert moto is not None, registry.server.line
    env = {
        **os.environ,
        "BERTH_USERNAME": "admin",
        "BERTH_PASSWORD": password,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto.group(1),  # its STS, which the registry asks
        "DOCKER_CONFIG": str(scratch),
        "REGISTRY_AUTH_FILE": str(scratch / "auth.json"),
    }
    berth = [sys.executable, "-m", "berth.cli"]
    where = ["--registry", registry.host]
    run(
        [*berth, "iam", "map", mapping, "arn:aws:*::123456789012:*", "--grant", "web/*=pull",
         *where],
        env=env,
    )  # fmt: skip
    answer = run([*berth, "ui", "login", "--json", *where], env=env, check=False)
    assert answer.returncode == 0, registry.log.read_text()[-3000:]
    link = json.loads(answer.stdout)["link"]
    assert link.startswith(f"http://{registry.host}/ui/link?code=")
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(link)
            expect(page.locator("main")).to_contain_text("your AWS identity")
            page.click("#link-sign-in button[type=submit]")
            page.wait_for_url(f"http://{registry.host}/ui")
            expect(page.locator("header form.session")).to_contain_text("sign out")
            expect(page.locator("header a.admin-link")).to_have_count(0)
            expect(page.locator("#account-link")).to_have_count(0)  # no password to change
            again = page.goto(link)
            assert again is not None and again.status == 410
        finally:
            browser.close()
    assert errors == [], errors
