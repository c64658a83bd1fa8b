"""Issue 17's audit: columns and orders the pages promised without a test. The repositories
page is sorted by the latest push first and gives each one's tag count and storage; the tags
table is newest first and fills *Last pulled* once a pull recorded itself; the image page
lists its referrers (an SBOM here) with their artifact type."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from tests.api.helpers import artifact, get_manifest, push, push_image
from tests.web.test_pages import get, text


def _rows(page: str, table_id: str) -> list[list[str]]:
    body = page.split(f'id="{table_id}"', 1)[1].split("</tbody>", 1)[0]
    return [
        re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], flags=re.S)
    ]


def test_repositories_latest_push_first_with_tags_and_storage(client: Any, repo: str) -> None:
    older, newer = f"{repo}-older", f"{repo}-newer"
    push_image(client, older, "a")
    push_image(client, older, "b")
    push_image(client, newer, "a")
    rows = [r for r in _rows(text(get(client, "/ui")), "repositories") if repo in r[0]]
    assert [re.sub(r"<[^>]+>", "", r[0]) for r in rows] == [newer, older]
    assert [r[1] for r in rows] == ["1", "2"]  # tags
    assert all(re.fullmatch(r"[\d.]+ (B|KiB|MiB)", r[2]) for r in rows), rows
    push_image(client, older, "c")  # now the latest push
    rows = [r for r in _rows(text(get(client, "/ui")), "repositories") if repo in r[0]]
    assert [re.sub(r"<[^>]+>", "", r[0]) for r in rows] == [older, newer]


def test_tags_newest_first_and_last_pulled(client: Any, repo: str) -> None:
    push_image(client, repo, "first")
    push_image(client, repo, "second")
    assert get_manifest(client, repo, "first").status_code == 200
    rows = _rows(text(get(client, f"/ui/repository?name={quote(repo)}")), "tags")
    assert [re.sub(r"<[^>]+>", "", r[0]) for r in rows] == ["second", "first"]
    pulled = {re.sub(r"<[^>]+>", "", r[0]): r[5] for r in rows}  # the Last pulled column
    assert "<time" in pulled["first"] and "<time" not in pulled["second"]


def test_the_image_page_lists_its_referrers(client: Any, repo: str) -> None:
    subject = push_image(client, repo, "v1")
    sbom = artifact(subject=subject)
    push(client, repo, sbom)
    page = text(get(client, f"/ui/image?name={quote(repo)}&digest={subject.digest}"))
    referrers = page.split("<h2>Referrers</h2>", 1)[1]
    assert sbom.digest[:19] in referrers
    assert "application/vnd.example.sbom.v1" in referrers
