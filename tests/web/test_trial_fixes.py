"""What a user trial found missing on the pages, through the in-process app: the tags table's
scan badge and a single image's platform, the image page's scan pull-policy verdict, and
config times a person can read (the exact value kept in a title)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.api import scan_pull_check
from tests.api.helpers import canonical, config_blob, image, push, push_image
from tests.scanning.test_scan_pull_policy import WORST, scanned_debian, set_scan_policy
from tests.web.test_pages import get, text


@pytest.fixture(autouse=True)
def _fresh_policies() -> Any:
    from chalicelib.storage import config_platforms, scan_policy

    scan_policy.forget_cached()
    config_platforms.forget()
    yield
    scan_policy.forget_cached()


def _row(page: str, tag: str) -> str:
    rows = page.split('id="tags"', 1)[1].split("</table>", 1)[0].split("<tr>")
    found = [r for r in rows if f">{tag}</a>" in r]
    assert len(found) == 1, found
    return found[0]


def test_a_single_image_shows_its_configs_platform(client: Any, repo: str) -> None:
    push_image(client, repo, "v1")
    arm = image(
        config=canonical(
            {"architecture": "arm64", "os": "linux", "variant": "v8", "rootfs": {}, "config": {}}
        )
    )
    push(client, repo, arm, "arm")
    page = text(get(client, f"/ui/repository?name={repo}"))
    assert "<td>linux/amd64</td>" in _row(page, "v1")
    assert "<td>linux/arm64/v8</td>" in _row(page, "arm")


def test_the_tags_table_shows_the_size_berth_tags_shows(client: Any, repo: str) -> None:
    """Found trying it as a user: the page said 174.1 KiB where `berth tags` said 174.6 KiB
    for the same image (the page left out the manifest's own bytes). Both count what a pull
    downloads: the manifest, its config and its layers."""
    import json

    from chalicelib.web.html import human_size

    pushed = push_image(client, repo, "v1")
    listed = json.loads(client.http.get(f"/v2/{repo}/_berth/tags").body)["tags"]
    size = next(t["size"] for t in listed if t["tag"] == "v1")
    assert size == pushed.size + sum(len(b) for b in pushed.blobs)
    page = text(get(client, f"/ui/repository?name={repo}"))
    assert f"<td>{human_size(size)}</td>" in _row(page, "v1")


def test_the_tags_table_carries_the_scan_verdict(client: Any, repo: str) -> None:
    push_image(client, repo, "plain")
    scanned_debian(client, repo)  # tag 1.0: one critical, two high, one medium, ...
    page = text(get(client, f"/ui/repository?name={repo}"))
    assert "<th>Scan</th>" in page
    assert 'class="badge none scan">not scanned</span>' in _row(page, "plain")
    badge = re.search(
        r'<span class="badge sev-critical scan" title="([^"]+)">([^<]+)</span>', _row(page, "1.0")
    )
    assert badge is not None and badge.group(2) == "critical 1"
    assert "critical 1, high 2, medium 1" in badge.group(1)


def test_the_image_page_says_whether_a_pull_is_refused_and_why(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_pull_check, "today", lambda: date(2030, 1, 10))
    pushed = scanned_debian(client, repo)
    url = f"/ui/image?name={repo}&digest={pushed.digest}"

    def verdict() -> str:
        page = text(get(client, url))
        return page.split('id="pull-policy">', 1)[1].split("</p>", 1)[0]

    assert "every pull is allowed" in verdict()
    set_scan_policy(client, repo, {"severity": "critical"})
    refused = verdict()
    assert "Refuses findings at or above critical" in refused
    assert '<span class="badge bad">refused</span>' in refused and WORST in refused
    set_scan_policy(client, repo, {"severity": "high"})
    refused = verdict()  # per advisory: each named once, however many packages it is in
    for advisory in (WORST, "DEBIAN-CVE-2023-6246"):
        assert refused.count(f"{advisory} (") == 1, refused
    set_scan_policy(client, repo, {"severity": "critical"})
    allow = [
        {"id": WORST, "until": "2030-01-10", "reason": "not reachable"},
        {"id": "CVE-OLD", "until": "2029-12-31", "reason": "gone"},
    ]
    set_scan_policy(client, repo, {"severity": "critical", "allow": allow})
    assert '<span class="badge ok">allowed</span>' in verdict()
    page = text(get(client, url))
    listed = page.split('id="allow-list"', 1)[1].split("</table>", 1)[0]
    assert WORST in listed and "2030-01-10" in listed and "not reachable" in listed
    rows = {r.split("</code>")[0]: r for r in listed.split("<tr><td><code>")[1:]}
    assert "in force" in rows[WORST] and "expired" in rows["CVE-OLD"]
    monkeypatch.setattr(scan_pull_check, "today", lambda: date(2030, 1, 11))
    assert '<span class="badge bad">refused</span>' in verdict()  # the exception expired
    set_scan_policy(client, repo, {"refuseUnscanned": True})
    plain = push_image(client, repo, "plain")
    page = text(get(client, f"/ui/image?name={repo}&digest={plain.digest}"))
    assert "refused</span> it has not been scanned" in page


def test_config_and_history_times_are_for_people(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.storage import clock

    created = "2026-12-04T13:02:03.123456789Z"
    document = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {},
        "history": [{"created": created, "created_by": "RUN make"}, {"created": "yesterday"}],
    }
    pushed = image(config=canonical(document))
    push(client, repo, pushed, "v1")
    monkeypatch.setattr(clock, "source", lambda: datetime(2026, 12, 4, 16, 30, tzinfo=UTC))
    page = text(get(client, f"/ui/image?name={repo}&digest={pushed.digest}"))
    shown = f'title="{created}">2026-12-04 13:02 UTC (3 h ago)</time>'
    assert page.count(shown) == 2  # Created, and the first build step
    assert "T13:02:03.123456789Z</td>" not in page  # no raw stamp as a cell's text
    assert "<td>yesterday</td>" in page  # not a time: shown as written
    # An image that sets no entrypoint or command says so, not `null` (a user trial).
    assert "null" not in page
    assert "<td>Entrypoint</td><td>-</td>" in page and "<td>Cmd</td><td>-</td>" in page
    assert config_blob  # the helper the other tests use is unchanged


def test_the_image_page_weighs_the_signing_policy_too(client: Any, repo: str) -> None:
    """A user trial: under an `enforce` rule the page said "allowed" of an unsigned image
    that every pull then refused (the section judged the scan policy alone)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from chalicelib.storage import trust_policy
    from tests.api.helpers import assert_ok
    from tests.api.test_signing_policy import bundle_signature, enforce, set_policy

    pushed = push_image(client, repo, "v1")
    url = f"/ui/image?name={repo}&digest={pushed.digest}"

    def verdict() -> str:
        trust_policy.forget_cached()
        page = text(get(client, url))
        return page.split('id="signing-policy">', 1)[1].split("</p>", 1)[0]

    key = ec.generate_private_key(ec.SECP256R1())
    try:
        assert "refused" not in verdict()
        enforce(client, repo, key)
        refused = verdict()
        assert '<span class="badge bad">refused</span>' in refused
        assert (
            f"<code>{repo}</code>" in refused and "(enforce)" in refused and "berth sign" in refused
        )
        assert head_status(client, repo, "v1") == 403  # what the page says is what a pull gets
        enforce(client, repo, key, mode="audit")
        assert "allowed</span> but logged as unsigned" in verdict()
        enforce(client, repo, key)
        push(client, repo, bundle_signature(key, pushed))
        assert "allowed</span>, signed by a trusted key" in verdict()
    finally:
        assert_ok(set_policy(client, []), 200)


def head_status(client: Any, repo: str, tag: str) -> int:
    """A pull with a pull-only token (the test client's admin may push, so ask anonymously
    through the same check the pull path makes)."""
    from tests.api.helpers import OCI_MANIFEST

    response = client.http.get(f"/v2/{repo}/manifests/{tag}", headers={"Accept": OCI_MANIFEST})
    return int(response.status_code)
