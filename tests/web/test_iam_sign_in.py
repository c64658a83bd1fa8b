"""IAM sign-in to the pages (chalicelib/web/iam_link.py, `berth ui login`) against the
in-process app and moto's STS: the CLI trades an IAM login password for a one-time link; the
link's page changes nothing until its button is pressed (CSRF double-submit, as the sign-in
form); the session it gives sees what the caller's mapping grants; the link works once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
import pytest

from berth import cli
from berth.client.berth_api import RegistryClient, Reply
from berth.commands import common
from berth.iam_login import login_password
from chalicelib.auth.permissions import Level
from tests.api.helpers import push_image
from tests.auth.gate_support import unique
from tests.web.test_pages import get, text

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def mapped(client: Any, aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`<repo>` holds an image; with auth on, every caller of moto's account may pull it;
    `berth` talks to the app in-process."""
    from chalicelib.auth import principals
    from tests.auth.gate_support import _reset

    repo = f"{unique('iam')}/app"
    push_image(client, repo, "v1")  # before auth is on
    monkeypatch.setenv("BERTH_AUTH", "on")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", "1000000")
    _reset()
    mapping = unique("m")
    principals.create_iam_mapping(mapping, "arn:aws:*::123456789012:*")
    principals.grant("iam", mapping, repo, Level.PULL)

    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        response = client.http.request(method, path, headers=headers, body=body or b"")
        out = {k.lower(): str(v) for k, v in (response.headers or {}).items()}
        return Reply(response.status_code, out, response.body or b"")

    monkeypatch.setattr(common, "client_for", lambda args: RegistryClient(send, None))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield repo
    principals.delete("iam", mapping)
    monkeypatch.setenv("BERTH_AUTH", "off")
    _reset()


def _link(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    status = cli.main(["ui", "login", "--registry", "localhost:5000", *extra])
    out = capsys.readouterr().out
    assert status == 0, out
    if "--json" in extra:
        return str(json.loads(out)["link"])
    return out.split()[0]


def _press(client: Any, link: str) -> Any:
    path = urlsplit(link)
    page = client.http.get(f"{path.path}?{path.query}")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', text(page))
    code = re.search(r'name="code" value="([^"]+)"', text(page))
    assert csrf is not None and code is not None
    cookie = str(page.headers["Set-Cookie"]).split(";")[0]
    body = urlencode({"csrf": csrf.group(1), "code": code.group(1)}).encode()
    return client.http.post("/ui/link", headers={**FORM, "Cookie": cookie}, body=body)


def test_a_one_time_link_signs_an_iam_caller_in(
    client: Any, mapped: str, capsys: pytest.CaptureFixture[str]
) -> None:
    link = _link(capsys, "--json")
    assert link.startswith("http://localhost:5000/ui/link?code=")
    path = urlsplit(link)
    shown = client.http.get(f"{path.path}?{path.query}")
    assert shown.status_code == 200 and "your AWS identity" in text(shown)
    assert "berth_session" not in str(shown.headers.get("Set-Cookie", ""))  # a GET signs nobody in
    signed = _press(client, link)
    assert signed.status_code == 303 and signed.headers["Location"] == "/ui"
    session = str(signed.headers["Set-Cookie"]).split(";")[0]
    assert session.startswith("berth_session=") and "HttpOnly" in signed.headers["Set-Cookie"]
    home = get(client, "/ui", session)
    assert home.status_code == 200 and mapped in text(home)
    assert "/ui/admin" not in text(home)  # a pull grant: no administration
    assert 'href="/ui/account"' not in text(home)  # and no password to change
    # Once only: the same link again is refused, on its page and on its button.
    again = client.http.get(f"{path.path}?{path.query}")
    assert again.status_code == 410 and "berth ui login" in text(again)


def test_the_button_needs_its_forms_token_and_the_link_its_code(
    client: Any, mapped: str, capsys: pytest.CaptureFixture[str]
) -> None:
    link = _link(capsys, "--no-browser")
    code = re.search(r"code=([^&\s]+)", link)
    assert code is not None
    from urllib.parse import unquote

    body = urlencode({"csrf": "forged", "code": unquote(code.group(1))}).encode()
    forged = client.http.post("/ui/link", headers={**FORM, "Cookie": "berth_csrf=other"}, body=body)
    assert forged.status_code == 403
    assert _press(client, link).status_code == 303  # the refused attempt used nothing up
    assert client.http.get("/ui/link?code=brt1.nope").status_code == 410


def test_the_browser_is_opened_unless_told_not_to(
    mapped: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    link = _link(capsys)
    assert opened == [link]


def test_what_is_not_an_iam_password_is_refused(client: Any, mapped: str) -> None:
    headers = {"Content-Type": "application/json"}
    refused = client.http.post(
        "/ui/iam-link", headers=headers, body=json.dumps({"password": "hunter22"}).encode()
    )
    assert refused.status_code == 400 and json.loads(refused.body)["errors"][0]["code"]
    # Shaped like one, but not a presigned GetCallerIdentity: the gate's login refuses it.
    # (Whether STS accepts a signature is STS's to check: moto checks none, and
    # tests/auth/test_iam_service_binding.py covers it with a transport that does.)
    garbled = "berth-iam-v1." + "A" * 40
    wrong = client.http.post(
        "/ui/iam-link", headers=headers, body=json.dumps({"password": garbled}).encode()
    )
    assert wrong.status_code == 401
    assert login_password(boto3.client("sts", region_name="us-east-1"), "berth")
    assert client.http.post("/ui/iam-link", headers=headers, body=b"[").status_code == 400


def test_with_auth_off_there_is_nothing_to_sign_in_to(client: Any) -> None:
    headers = {"Content-Type": "application/json"}
    answer = client.http.post("/ui/iam-link", headers=headers, body=b'{"password": "x"}')
    assert answer.status_code == 404
    assert client.http.get("/ui/link?code=x").status_code == 303


def test_an_identity_no_mapping_names_is_told_what_to_check(
    client: Any, mapped: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A user trial: the refusal ended with "log in: berth login REGISTRY, podman login...",
    which is not how an IAM identity gets in."""
    from chalicelib.auth import principals

    mappings = [m.name for m in principals.directory("iam")]
    for name in mappings:
        principals.set_disabled("iam", name)
    try:
        status = cli.main(["ui", "login", "--registry", "localhost:5000", "--no-browser"])
    finally:
        for name in mappings:
            principals.set_disabled("iam", name, False)
    err = capsys.readouterr().err
    assert status == common.EXIT_REFUSED
    assert "berth iam map" in err and "AWS_ENDPOINT_URL" in err
    assert "podman login" not in err
