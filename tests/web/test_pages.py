"""The web interface through the in-process app: what each page shows, what it costs in AWS
calls, who may see it, and the session's and forms' protections."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

from bench.awscalls import recording
from chalicelib.auth.permissions import Level
from tests.api.helpers import push, push_image, push_index
from tests.auth.gate_support import user


def get(client: Any, path: str, cookie: str = "") -> Any:
    return client.http.get(path, headers={"Cookie": cookie} if cookie else {})


def text(response: Any) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else str(response.body)


def test_pages_show_repositories_tags_and_images(client: Any, repo: str) -> None:
    pushed = push_image(client, repo, "v1")
    parent, children = push_index(client, repo, "multi")
    home = get(client, "/ui")
    assert home.status_code == 200
    assert home.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in home.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]
    assert repo in text(home) and "<script>" not in text(home)

    page = text(get(client, f"/ui/repository?name={repo}"))
    assert "v1" in page and pushed.digest[:19] in page and "multi" in page
    assert f"docker pull localhost/{repo}:v1" in page or f"/{repo}:v1" in page
    assert "arch0" in page  # the index's platforms, from the tag's manifest copy

    image = text(get(client, f"/ui/image?name={repo}&digest={pushed.digest}"))
    assert "Layers" in image and "Config" in image and "amd64" in image
    index = text(get(client, f"/ui/image?name={repo}&digest={parent.digest}"))
    assert "Platforms" in index and children[0].digest[:19] in index


def test_values_are_escaped(client: Any, repo: str) -> None:
    pushed = push_image(client, repo, "v1", annotations={"note": "<script>alert(1)</script>"})
    page = text(get(client, f"/ui/image?name={repo}&digest={pushed.digest}"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_bad_input_is_a_clear_page_not_a_500(client: Any, repo: str) -> None:
    assert get(client, "/ui/repository?name=Bad..Name").status_code == 400
    assert get(client, f"/ui/image?name={repo}&digest=nope").status_code == 400
    missing = "sha256:" + "0" * 64
    assert get(client, f"/ui/image?name={repo}&digest={missing}").status_code == 404
    assert get(client, "/ui/static/handlers.py").status_code == 404
    traversal = get(client, "/ui/static/..%2Fhandlers.py")
    assert traversal.status_code in (403, 404) and b"import" not in (traversal.body or b"")
    assert get(client, "/ui/static/berth.js").status_code == 200


def test_pages_make_bounded_aws_calls(client: Any, repo: str) -> None:
    from chalicelib.storage import config_platforms

    config_platforms.forget()
    pushed = push_image(client, repo, "v1")
    with recording() as recorder:
        with recorder.window() as tally:
            assert get(client, "/ui").status_code == 200
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query"]
        # The first view reads the image's config for its platform, once per instance.
        with recorder.window() as tally:
            assert get(client, f"/ui/repository?name={repo}").status_code == 200
        assert sorted(c.describe() for c in tally.calls) == ["dynamodb:Query", "s3:GetObject"]
        with recorder.window() as tally:
            assert get(client, f"/ui/repository?name={repo}").status_code == 200
        assert [c.describe() for c in tally.calls] == ["dynamodb:Query"]
        with recorder.window() as tally:
            assert get(client, f"/ui/image?name={repo}&digest={pushed.digest}").status_code == 200
        described = sorted(c.describe() for c in tally.calls)
        # the manifest, the config's link and bytes, referrers, signatures (referrers, legacy
        # tag), the scan pull policy
        assert described == sorted(
            [
                "dynamodb:GetItem",
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "s3:GetObject",
                "dynamodb:Query",
                "dynamodb:Query",
                "dynamodb:GetItem",
            ]
        )


def _sign_in(client: Any, username: str, password: str) -> Any:
    form = client.http.get("/ui/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', text(form))
    assert csrf is not None
    cookie = form.headers["Set-Cookie"].split(";")[0]
    body = urlencode({"csrf": csrf.group(1), "username": username, "password": password})
    return client.http.post(
        "/ui/login",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        body=body.encode(),
    )


def test_with_auth_on_a_person_signs_in_and_sees_only_what_they_may_pull(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.auth.gate_support import _reset

    push_image(client, repo, "v1")
    hidden = repo + "-hidden"
    push_image(client, hidden, "v1")
    monkeypatch.setenv("BERTH_AUTH", "on")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", "1000000")
    _reset()
    try:
        reader = user("reader", [(repo, Level.PULL)])
        assert get(client, "/ui").status_code == 303  # to the sign-in page
        refused = _sign_in(client, reader.username or "", "wrong")
        assert refused.status_code == 401 and "Incorrect name or secret" in text(refused)
        answer = _sign_in(client, reader.username or "", reader.secret or "")
        assert answer.status_code == 303 and answer.headers["Location"] == "/ui"
        set_cookie = answer.headers["Set-Cookie"]
        assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
        assert "Path=/ui" in set_cookie
        session = set_cookie.split(";")[0]
        home = text(get(client, "/ui", session))
        assert repo in home and hidden not in home
        assert get(client, f"/ui/repository?name={hidden}", session).status_code == 404
        assert get(client, f"/ui/repository?name={repo}", session).status_code == 200
        assert get(client, f"/ui/pulls-chart?name={hidden}", session).status_code == 404
        assert get(client, f"/ui/pulls-chart?name={repo}", session).status_code == 200
        assert get(client, f"/ui/pulls-chart?name={repo}").status_code == 303  # signed out

        # Sign-out needs the page's CSRF token; a forged form is refused.
        csrf = re.search(r'name="csrf" value="([^"]+)"', home)
        assert csrf is not None
        forged = client.http.post(
            "/ui/logout",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": session},
            body=b"csrf=forged",
        )
        assert forged.status_code == 403
        assert get(client, "/ui", session).status_code == 200
        client.http.post(
            "/ui/logout",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": session},
            body=f"csrf={csrf.group(1)}".encode(),
        )
        assert get(client, "/ui", session).status_code == 303  # the session is gone
    finally:
        monkeypatch.setenv("BERTH_AUTH", "off")
        _reset()


def test_a_session_ends_when_the_principal_changes(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.auth import principals
    from tests.auth.gate_support import _reset

    push_image(client, repo, "v1")
    monkeypatch.setenv("BERTH_AUTH", "on")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", "1000000")
    _reset()
    try:
        reader = user("reader", [(repo, Level.PULL)])
        session = (
            _sign_in(client, reader.username or "", reader.secret or "")
            .headers["Set-Cookie"]
            .split(";")[0]
        )
        assert get(client, "/ui", session).status_code == 200
        principals.set_password(reader.username or "", "a-new-password-123")
        assert get(client, "/ui", session).status_code == 303
    finally:
        monkeypatch.setenv("BERTH_AUTH", "off")
        _reset()


def test_login_without_the_forms_token_is_refused(client: Any) -> None:
    body = urlencode({"csrf": "x", "username": "a", "password": "b"}).encode()
    answer = client.http.post(
        "/ui/login", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body
    )
    assert answer.status_code == 403


def test_signed_images_carry_a_badge(client: Any, repo: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from chalicelib.storage import trust_policy
    from tests.api.test_signing_policy import bundle_signature, enforce

    trust_policy.forget_cached()
    key = ec.generate_private_key(ec.SECP256R1())
    pushed = push_image(client, repo, "v1")
    enforce(client, repo, key, mode="audit")
    push(client, repo, bundle_signature(key, pushed))
    page = text(get(client, f"/ui/repository?name={repo}"))
    assert 'badge ok">signed' in page
    image = text(get(client, f"/ui/image?name={repo}&digest={pushed.digest}"))
    assert "Signatures" in image and "verified" in image
    client.http.put(
        "/v2/_berth/signing/policy",
        headers={"content-type": "application/json"},
        body=b'{"rules": []}',
    )
    trust_policy.forget_cached()


def test_history_and_rollback_from_the_page(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.auth.gate_support import _reset

    first = push_image(client, repo, "v1")
    second = push_image(client, repo, "v1")
    monkeypatch.setenv("BERTH_AUTH", "on")
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", "1000000")
    _reset()
    try:
        reader = user("reader", [(repo, Level.PULL)])
        writer = user("writer", [(repo, Level.PUSH)])
        reading = _sign_in(client, reader.username or "", reader.secret or "")
        reader_session = reading.headers["Set-Cookie"].split(";")[0]
        page = text(get(client, f"/ui/history?name={repo}&tag=v1", reader_session))
        assert first.digest[:19] in page and second.digest[:19] in page
        assert "roll back to this" not in page  # pull only: shown nothing it cannot do

        writing = _sign_in(client, writer.username or "", writer.secret or "")
        session = writing.headers["Set-Cookie"].split(";")[0]
        page = text(get(client, f"/ui/history?name={repo}&tag=v1", session))
        assert page.count("roll back to this") == 1
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf is not None
        form = {"name": repo, "tag": "v1", "to": first.digest}
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": session}
        forged = client.http.post(
            "/ui/rollback", headers=headers, body=urlencode({**form, "csrf": "x"}).encode()
        )
        assert forged.status_code == 403
        refused = client.http.post(
            "/ui/rollback",
            headers={**headers, "Cookie": reader_session},
            body=urlencode({**form, "csrf": csrf.group(1)}).encode(),
        )
        assert refused.status_code == 403  # the reader's session does not match that token
        done = client.http.post(
            "/ui/rollback",
            headers=headers,
            body=urlencode({**form, "csrf": csrf.group(1)}).encode(),
        )
        assert done.status_code == 303 and "done=1" in done.headers["Location"]
        page = text(get(client, f"/ui/history?name={repo}&tag=v1", session))
        assert "<td>rollback</td>" in page and f"Now: <code>{first.digest}" in page
        assert writer.username in page  # who did it, in the timeline
    finally:
        monkeypatch.setenv("BERTH_AUTH", "off")
        _reset()


def test_the_image_page_says_which_packages_no_advisory_covers(client: Any, repo: str) -> None:
    from tests.scanning.layers import layer
    from tests.scanning.rpmdb import header_blob, rpmdb_bdb
    from tests.scanning.test_rpm_databases import AMAZON_2, AMAZON_PACKAGES
    from tests.scanning.test_scan_api import OCI_LAYER_GZIP, image_of, scan

    database = rpmdb_bdb([header_blob(p) for p in AMAZON_PACKAGES])
    files = [("etc/os-release", AMAZON_2), ("var/lib/rpm/Packages", database)]
    pushed = image_of([(OCI_LAYER_GZIP, layer(files))])
    push(client, repo, pushed, "al2")
    scan(client, repo, "al2")
    page = text(get(client, f"/ui/image?name={repo}&digest={pushed.digest}"))
    assert 'id="severity-counts">no known vulnerability' in page
    note = page.split('class="not-covered">', 1)[1].split("</p>", 1)[0]
    assert note == (
        "not covered: no advisory source for the 2 rpm packages of Amazon Linux 2 "
        "(inventoried, not matched)"
    )


def test_scan_findings_on_the_image_page(client: Any, repo: str) -> None:
    from tests.scanning.advisories import DEBIAN_ADVISORIES, LANGUAGE_ADVISORIES
    from tests.scanning.test_scan_api import debian_image, import_advisories, scan

    import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    pushed = debian_image()
    push(client, repo, pushed, "1.0")
    before = text(get(client, f"/ui/image?name={repo}&digest={pushed.digest}"))
    assert 'id="findings"' not in before  # not scanned: no section, no extra read
    scan(client, repo, "1.0")
    page = text(get(client, f"/ui/image?name={repo}&digest={pushed.digest}"))
    counts = page.split('id="severity-counts">', 1)[1].split("</p>", 1)[0]
    assert "critical 1" in counts and "high 2" in counts and "medium 1" in counts
    # Both times written alike, to the minute in UTC (the database's was a raw ISO stamp).
    import re

    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
    assert re.search(f"scanned {stamp}, advisories of {stamp}$", counts), counts
    table = page.split('id="findings"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 7  # the header and the seven findings
    assert "DEBIAN-CVE-2023-45853" in table and 'data-sort="0"' in table  # critical ranks first
    assert 'class="sort"' in table
    # The scanner's SBOM and vulnerability report share an artifact type: the page names them.
    listed = page.split("<h2>Referrers</h2>", 1)[1].split("</table>", 1)[0]
    assert "<td>SBOM</td>" in listed and "<td>vulnerability report</td>" in listed, listed
    with recording() as recorder:
        with recorder.window() as tally:
            assert get(client, f"/ui/image?name={repo}&digest={pushed.digest}").status_code == 200
        described = [c.describe() for c in tally.calls]
    # the page's usual seven reads, then the scan result's item and its report
    assert sorted(described) == sorted(
        [
            "dynamodb:GetItem",
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "s3:GetObject",
            "dynamodb:Query",
            "dynamodb:Query",
            "dynamodb:GetItem",
            "dynamodb:GetItem",
            "s3:GetObject",
        ]
    )
