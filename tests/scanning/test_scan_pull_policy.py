"""The scan pull policy through the API (chalice.test.Client on the real app, moto behind it):
each rule refuses what it says with a 403 DENIED naming the worst advisories and the command
for an exception, and nothing else; the day an allow-list entry expires comes from an
injected clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from chalicelib.api import scan_pull_check
from tests.api.helpers import (
    assert_ok,
    get_manifest,
    head_manifest,
    index,
    json_of,
    push,
    push_image,
)
from tests.scanning.advisories import ALPINE_ADVISORIES, DEBIAN_ADVISORIES, LANGUAGE_ADVISORIES
from tests.scanning.test_scan_api import alpine_image, debian_image, import_advisories, scan

WORST = "DEBIAN-CVE-2023-45853"  # zlib1g, CRITICAL, in debian_image()


@pytest.fixture(autouse=True)
def _fresh_policies() -> Iterator[None]:
    from chalicelib.storage import scan_policy

    scan_policy.forget_cached()
    yield
    scan_policy.forget_cached()


@pytest.fixture
def day(monkeypatch: pytest.MonkeyPatch) -> list[date]:
    today = [date(2030, 1, 10)]
    monkeypatch.setattr(scan_pull_check, "today", lambda: today[0])
    return today


def set_scan_policy(client: Any, repo: str, document: dict[str, Any], status: int = 200) -> Any:
    response = client.http.put(
        f"/v2/{repo}/_berth/scan-policy",
        headers={"content-type": "application/json"},
        body=json.dumps(document).encode(),
    )
    assert_ok(response, status)
    return json_of(response)


def refusal(response: Any) -> dict[str, Any]:
    assert_ok(response, 403)
    error: dict[str, Any] = json_of(response)["errors"][0]
    assert error["code"] == "DENIED"
    return error


def scanned_debian(client: Any, repo: str) -> Any:
    import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    pushed = debian_image()
    push(client, repo, pushed, "1.0")
    scan(client, repo, "1.0")
    return pushed


def test_off_by_default_and_read_back(client: Any, repo: str) -> None:
    scanned_debian(client, repo)
    document = json_of(client.http.get(f"/v2/{repo}/_berth/scan-policy"))
    assert document == {
        "name": repo,
        "severity": None,
        "refuseUnscanned": False,
        "allow": [],
        "version": 0,
    }
    assert_ok(get_manifest(client, repo, "1.0"), 200)


def test_a_pull_where_no_policy_is_set_loads_no_scanning_code(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold start's first pull pays for every module it imports: with no policy for the
    repository (another repository has one), the pull must not need the policy parser."""
    import sys

    import chalicelib.storage

    set_scan_policy(client, f"{repo}-other", {"severity": "HIGH"})
    push_image(client, repo, "1.0")
    monkeypatch.delattr(chalicelib.storage, "scan_policy", raising=False)
    monkeypatch.setitem(sys.modules, "chalicelib.storage.scan_policy", None)  # import fails
    assert_ok(get_manifest(client, repo, "1.0"), 200)
    monkeypatch.undo()
    set_scan_policy(client, repo, {"refuseUnscanned": True})
    refusal(get_manifest(client, repo, "1.0"))


def test_findings_at_or_above_the_threshold_are_refused(client: Any, repo: str, day: Any) -> None:
    pushed = scanned_debian(client, repo)
    set_scan_policy(client, repo, {"severity": "high"})
    for reference in ("1.0", pushed.digest):
        error = refusal(get_manifest(client, repo, reference))
        assert f"{WORST} (zlib1g, CRITICAL)" in error["message"]
        assert "DEBIAN-CVE-2023-6246 (libc6, HIGH)" in error["message"]
        # Every refused advisory in the one exception command (the first alone left the
        # user refused again for the next).
        assert (
            f"berth scan policy allow {repo} {WORST} DEBIAN-CVE-2023-6246 GHSA-35jh-r3h4-6jhm "
            "--until"
        ) in error["message"]
        assert error["detail"]["reason"] == "findings"
        assert error["detail"]["findings"][0] == {
            "id": WORST,
            "package": "zlib1g",
            "severity": "CRITICAL",
        }
        # MEDIUM and UNKNOWN findings are below the threshold: not named.
        assert {f["severity"] for f in error["detail"]["findings"]} == {"CRITICAL", "HIGH"}
        assert_ok(head_manifest(client, repo, reference), 403)
    set_scan_policy(client, repo, {"severity": "CRITICAL"})
    refusal(get_manifest(client, repo, "1.0"))
    set_scan_policy(client, repo, {"severity": None})
    assert_ok(get_manifest(client, repo, "1.0"), 200)


def test_unscanned_images_are_refused_until_scanned(client: Any, repo: str) -> None:
    import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES)
    pushed = debian_image()
    push(client, repo, pushed, "1.0")
    set_scan_policy(client, repo, {"refuseUnscanned": True})
    error = refusal(get_manifest(client, repo, "1.0"))
    assert "has not been scanned yet" in error["message"]
    assert f"berth scan {repo}@{pushed.digest}" in error["message"]
    assert error["detail"]["reason"] == "unscanned"
    document = scan(client, repo, "1.0")
    assert_ok(get_manifest(client, repo, "1.0"), 200)  # findings, but no threshold
    # The scanner's own SBOM and report are artifacts: never scanned, never refused.
    for referrer in document.get("referrers", []) or []:
        assert_ok(get_manifest(client, repo, referrer), 200)
    referrers = json_of(client.http.get(f"/v2/{repo}/referrers/{pushed.digest}"))["manifests"]
    assert referrers
    for descriptor in referrers:
        assert_ok(get_manifest(client, repo, descriptor["digest"]), 200)


def test_a_failed_scan_counts_as_not_scanned(client: Any, repo: str) -> None:
    from tests.scanning.test_scan_api import OCI_LAYER_GZIP, image_of

    broken = image_of([(OCI_LAYER_GZIP, b"\x1f\x8b not a gzip stream at all")])
    push(client, repo, broken, "broken")
    scan(client, repo, "broken")
    set_scan_policy(client, repo, {"severity": "LOW"})
    assert_ok(get_manifest(client, repo, "broken"), 200)  # only the threshold: nothing found
    set_scan_policy(client, repo, {"severity": "LOW", "refuseUnscanned": True})
    error = refusal(get_manifest(client, repo, "broken"))
    assert "failed its scan" in error["message"]


def test_allow_list_entries_count_until_they_expire(
    client: Any, repo: str, day: list[date]
) -> None:
    scanned_debian(client, repo)
    allow = [{"id": WORST, "until": "2030-01-10", "reason": "no zlib in the request path"}]
    stored = set_scan_policy(client, repo, {"severity": "CRITICAL", "allow": allow})
    assert stored["allow"] == [{**allow[0]}]  # auth off: no caller to stamp
    assert_ok(get_manifest(client, repo, "1.0"), 200)
    day[0] = date(2030, 1, 11)  # the day after `until`: the entry no longer counts
    error = refusal(get_manifest(client, repo, "1.0"))
    assert WORST in error["message"]
    # HIGH findings are not on the list: allowing the CRITICAL one does not let HIGH through.
    day[0] = date(2030, 1, 1)
    set_scan_policy(client, repo, {"severity": "HIGH", "allow": allow})
    error = refusal(get_manifest(client, repo, "1.0"))
    assert WORST not in error["message"]
    assert "DEBIAN-CVE-2023-6246 (libc6, HIGH)" in error["message"]


def test_a_tag_moved_onto_a_scanned_image_carries_its_verdict(client: Any, repo: str) -> None:
    pushed = scanned_debian(client, repo)
    push(client, repo, pushed, "2.0")  # after the scan: the move copies the manifest's verdict
    set_scan_policy(client, repo, {"severity": "CRITICAL"})
    refusal(get_manifest(client, repo, "2.0"))
    response = client.http.post(f"/v2/{repo}/_berth/rollback/1.0?to={pushed.digest}")
    assert response.status_code in (200, 409), response.body


def test_a_rescan_reaches_tags_already_pointing_at_the_image(client: Any, repo: str) -> None:
    from tests.scanning.unique_package import advisory, python_image, unique_name

    name = unique_name()
    pushed = python_image(name)
    push(client, repo, pushed, "1.0")
    scan(client, repo, "1.0")
    set_scan_policy(client, repo, {"severity": "CRITICAL"})
    assert_ok(get_manifest(client, repo, "1.0"), 200)  # no advisory for it yet
    import_advisories(client, [advisory(f"PYSEC-{name}", name, "CRITICAL")])
    scan(client, repo, pushed.digest)
    error = refusal(get_manifest(client, repo, "1.0"))
    assert f"PYSEC-{name} ({name}, CRITICAL)" in error["message"]


def test_an_index_is_judged_by_the_union_of_its_platforms(client: Any, repo: str) -> None:
    import_advisories(client, DEBIAN_ADVISORIES + LANGUAGE_ADVISORIES + ALPINE_ADVISORIES)
    debian, alpine = debian_image(), alpine_image()
    push(client, repo, debian)
    push(client, repo, alpine)
    push(client, repo, index([debian, alpine]), "multi")
    scan(client, repo, "multi")  # the platforms were never scanned on their own
    set_scan_policy(client, repo, {"severity": "UNKNOWN"})
    error = refusal(get_manifest(client, repo, "multi"))
    named = {f["id"] for f in error["detail"]["findings"]}
    assert {WORST, "ALPINE-CVE-2024-0728"} <= named
    refusal(get_manifest(client, repo, alpine.digest))
    set_scan_policy(client, repo, {"severity": "CRITICAL", "refuseUnscanned": True})
    refusal(get_manifest(client, repo, "multi"))
    refusal(get_manifest(client, repo, debian.digest))
    assert_ok(get_manifest(client, repo, alpine.digest), 200)  # scanned, nothing CRITICAL


def test_bad_policies_are_refused_with_400(client: Any, repo: str) -> None:
    for document in (
        {"severity": "SEVERE"},
        {"refuseUnscanned": "yes"},
        {"allow": [{"id": "CVE-1"}]},
        {"allow": [{"id": "CVE-1", "until": "next week"}]},
        {"allow": [{"id": "has space", "until": "2030-01-01"}]},
        {"allow": "CVE-1"},
        {"other": 1},
        [],
    ):
        response = client.http.put(
            f"/v2/{repo}/_berth/scan-policy",
            headers={"content-type": "application/json"},
            body=json.dumps(document).encode(),
        )
        assert_ok(response, 400)
        assert json_of(response)["errors"][0]["code"] == "UNSUPPORTED"
    assert json_of(client.http.get(f"/v2/{repo}/_berth/scan-policy"))["version"] == 0


def test_a_change_is_audited(client: Any, repo: str) -> None:
    set_scan_policy(client, repo, {"severity": "HIGH"})
    events = json_of(client.http.get(f"/v2/_berth/audit?repository={repo}"))
    found = [e for e in events["events"] if e["action"] == "scan-policy.change"]
    assert len(found) == 1, events
    assert found[0]["detail"]["after"]["severity"] == "HIGH"
    assert found[0]["detail"]["changed"] == ["severity"]


def test_with_auth_on_pushers_are_exempt_and_only_admins_set_it(
    client: Any, repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.auth.permissions import Level
    from tests.auth.gate_support import _reset, bearer, token_of, user

    scanned_debian(client, repo)
    set_scan_policy(client, repo, {"severity": "HIGH"})
    monkeypatch.setenv("BERTH_AUTH", "on")
    _reset()
    try:
        reader = user("reader", [(repo, Level.PULL)])
        writer = user("writer", [(repo, Level.PUSH)])
        reader_token = token_of(client, reader, [f"repository:{repo}:pull"])
        pull_push = token_of(client, writer, [f"repository:{repo}:pull,push"])
        path = f"/v2/{repo}/manifests/1.0"
        assert client.http.get(path, headers=bearer(reader_token)).status_code == 403
        assert client.http.get(path, headers=bearer(pull_push)).status_code == 200
        policy = f"/v2/{repo}/_berth/scan-policy"
        assert client.http.get(policy, headers=reader.basic()).status_code == 200
        response = client.http.put(
            policy,
            headers={**writer.basic(), "content-type": "application/json"},
            body=b'{"severity": null}',
        )
        assert response.status_code == 403
    finally:
        monkeypatch.setenv("BERTH_AUTH", "off")
        _reset()
