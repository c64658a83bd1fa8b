"""The reference index's backfill (chalicelib/gc/reindex.py) in chunks, against moto: a call
stopped after one page leaves its cursor, the next goes on from there (no page read twice)
and completes the index; a call stopped between a page's entries and its cursor loses
nothing; a later call takes the cursor over; `berth gc --reindex` calls until it is done."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.api import gc as gc_api
from chalicelib.gc import reindex
from chalicelib.oci.digest import compute
from chalicelib.storage import gc_refs, keys
from chalicelib.storage.models import GcIndexItem, GcReindexItem, ReferenceItem
from chalicelib.storage.raw_items import Raw
from tests.api.helpers import image, push
from tests.cli.test_admin_commands import berth  # noqa: F401  (the fixture)


@pytest.fixture
def unindexed(client: Any, repo: str) -> Iterator[dict[str, list[str]]]:
    """An image whose entries are dropped, as in a table from before the index; no backfill
    in progress; the index marker removed afterwards (the default mode reads it)."""
    pushed = image(layers=2)
    push(client, repo, pushed, "v1")
    manifest = str(compute(pushed.body, "sha256"))
    expected = {
        str(compute(b, "sha256")): sorted(
            [keys.link_ref_sk(repo), keys.manifest_ref_sk(repo, manifest)]
        )
        for b in pushed.blobs
    }
    for name in expected:
        for sk in gc_refs.holders(name):
            ReferenceItem(keys.ref_pk(name), sk).delete()
    _forget_progress()
    yield expected
    _forget_progress()
    GcIndexItem(keys.GC_LEASE_PK, keys.GC_INDEX_SK).delete()


def _forget_progress() -> None:
    GcReindexItem(keys.GC_LEASE_PK, keys.GC_REINDEX_SK).delete()


def _progress() -> GcReindexItem | None:
    try:
        return GcReindexItem.get(keys.GC_LEASE_PK, keys.GC_REINDEX_SK, consistent_read=True)
    except GcReindexItem.DoesNotExist:
        return None


def _indexed(expected: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: sorted(gc_refs.holders(name)) for name in expected}


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[str, str]]]:
    """The keys of every page the backfill indexes, in order."""
    seen: list[list[tuple[str, str]]] = []
    index = reindex._index

    def recorded(page: list[Raw], done: reindex.Reindexed) -> None:
        seen.append([(item["pk"]["S"], item["sk"]["S"]) for item in page])
        index(page, done)

    monkeypatch.setattr(reindex, "_index", recorded)
    return seen


def test_a_call_stopped_after_one_page_is_continued_by_the_next(
    unindexed: dict[str, list[str]], pages: list[list[tuple[str, str]]]
) -> None:
    first = reindex.reindex(page_size=5, budget=0)
    assert not first.complete and not first.resumed
    assert (first.scan_calls, first.items) == (1, 5)
    assert not reindex.complete()
    progress = _progress()
    assert progress is not None and progress.cursor is not None
    assert json.loads(progress.cursor) == {
        "pk": {"S": pages[0][-1][0]},
        "sk": {"S": pages[0][-1][1]},
    }, "the cursor is the last key of the page written"
    rest = reindex.reindex(page_size=100)
    assert rest.complete and rest.resumed and reindex.complete()
    assert _progress() is None, "a finished backfill leaves no cursor"
    later = {key for page in pages[1:] for key in page}
    assert not set(pages[0]) & later, "no page of the first call was read again"
    assert _indexed(unindexed) == unindexed


def test_a_call_stopped_between_entries_and_cursor_loses_nothing(
    unindexed: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    advance = reindex._advance
    calls: list[int] = []

    def crash_on_third(run: str, after: Raw) -> bool:
        calls.append(1)
        if len(calls) == 3:
            raise TimeoutError("the function was stopped")
        return advance(run, after)

    monkeypatch.setattr(reindex, "_advance", crash_on_third)
    with pytest.raises(TimeoutError):
        reindex.reindex(page_size=5)
    monkeypatch.setattr(reindex, "_advance", advance)
    again = reindex.reindex(page_size=100)
    assert again.resumed and again.complete
    assert _indexed(unindexed) == unindexed


def test_a_later_call_takes_the_cursor_over(
    unindexed: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    index = reindex._index

    def another_call_starts(page: list[Raw], done: reindex.Reindexed) -> None:
        index(page, done)
        reindex._take_over("another-call")

    monkeypatch.setattr(reindex, "_index", another_call_starts)
    earlier = reindex.reindex(page_size=5)
    assert not earlier.complete and earlier.scan_calls == 1, "it stops: the cursor is not its"
    monkeypatch.setattr(reindex, "_index", index)
    later = reindex.reindex(page_size=100)
    assert later.complete and _indexed(unindexed) == unindexed


def test_a_backfill_run_twice_writes_the_same_entries(unindexed: dict[str, list[str]]) -> None:
    assert reindex.reindex().complete
    once = _indexed(unindexed)
    assert reindex.reindex().complete and not reindex.reindex().resumed
    assert _indexed(unindexed) == once == unindexed


def test_berth_gc_reindex_calls_until_the_index_is_complete(
    berth: Any,  # noqa: F811
    unindexed: dict[str, list[str]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each request stops after its budget (here at once: one page of 20 items)."""
    monkeypatch.setattr(gc_api, "REQUEST_BUDGET", 0.0)
    monkeypatch.setattr(reindex, "reindex", functools.partial(reindex.reindex, page_size=20))
    status, out, _ = berth(capsys, "gc", "--reindex", "--json")
    done = json.loads(out)
    assert status == 0 and done["complete"] and done["calls"] >= 2
    assert reindex.complete() and _indexed(unindexed) == unindexed
