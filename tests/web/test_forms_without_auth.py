"""With auth off there is no session, yet a page on another site must not be able to roll a
tag back through a visitor's browser: forms carry a token that must match the form cookie the
pages set (double submit), as they carry the session's digest when signed in."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from tests.api.helpers import push_image
from tests.web.test_pages import get, text

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_rollback_with_auth_off_needs_the_pages_token(client: Any, repo: str) -> None:
    first = push_image(client, repo, "v1")
    push_image(client, repo, "v1")
    page = get(client, f"/ui/history?name={repo}&tag=v1")
    set_cookie = page.headers["Set-Cookie"]
    assert set_cookie.startswith("berth_form=") and "SameSite=Strict" in set_cookie
    cookie = set_cookie.split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', text(page))
    assert csrf is not None and csrf.group(1) == cookie.split("=", 1)[1]
    form = {"name": repo, "tag": "v1", "to": first.digest}

    # A cross-site form: no cookie (SameSite=Strict), or a token it had to guess.
    bare = client.http.post("/ui/rollback", headers=FORM, body=urlencode(form).encode())
    assert bare.status_code == 403
    guessed = client.http.post(
        "/ui/rollback",
        headers={**FORM, "Cookie": cookie},
        body=urlencode({**form, "csrf": "guess"}).encode(),
    )
    assert guessed.status_code == 403
    assert f"Now: <code>{first.digest}" not in text(get(client, f"/ui/history?name={repo}&tag=v1"))

    done = client.http.post(
        "/ui/rollback",
        headers={**FORM, "Cookie": cookie},
        body=urlencode({**form, "csrf": csrf.group(1)}).encode(),
    )
    assert done.status_code == 303
    again = get(client, f"/ui/history?name={repo}&tag=v1", cookie)
    assert f"Now: <code>{first.digest}" in text(again)
    assert "Set-Cookie" not in again.headers  # the browser's cookie is kept, not replaced
