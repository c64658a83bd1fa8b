"""`/v2/<name>/_berth/lifecycle` (GET, PUT, POST run) and `/v2/_berth/lifecycle`, and the
`berth lifecycle` / `berth repo set-rollback-window` commands, against the in-process app."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import assert_error, assert_ok, json_of, push_image
from tests.cli.test_admin_commands import berth  # noqa: F401  (the fixture)

POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "drop untagged",
            "selection": {
                "tagStatus": "untagged",
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
        },
        {
            "rulePriority": 2,
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": ["release-"],
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 90,
            },
        },
    ]
}


def put_policy(client: Any, repo: str, document: Any) -> Any:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return client.http.put(
        f"/v2/{repo}/_berth/lifecycle", headers={"content-type": "application/json"}, body=body
    )


def test_get_put_round_trip(client: Any, repo: str) -> None:
    empty = client.http.get(f"/v2/{repo}/_berth/lifecycle")
    assert_ok(empty, 200)
    assert json_of(empty) == {"name": repo, "rules": [], "version": 0}
    stored = put_policy(client, repo, POLICY)
    assert_ok(stored, 200)
    document = json_of(stored)
    assert document["version"] == 1
    assert document["rules"][1]["selection"]["tagPatternList"] == ["release-*"]
    assert json_of(client.http.get(f"/v2/{repo}/_berth/lifecycle")) == document
    # A GET answer can be PUT back.
    assert json_of(put_policy(client, repo, document))["rules"] == document["rules"]


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (b"not json", "not JSON"),
        ([], "JSON object"),
        ({"rules": [{"rulePriority": 1}]}, "rule 1: `selection` must be an object"),
        (
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "selection": {
                            "tagStatus": "tagged",
                            "countType": "imageCountMoreThan",
                            "countNumber": 3,
                        },
                    }
                ]
            },
            "tagStatus tagged needs tagPatternList",
        ),
        (
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "selection": {
                            "tagStatus": "untagged",
                            "countType": "sinceImagePushed",
                            "countNumber": 0,
                        },
                    }
                ]
            },
            "countNumber must be a whole number from 1",
        ),
        (
            {
                "rules": [
                    {
                        "rulePriority": 2,
                        "selection": {
                            "tagStatus": "sometimes",
                            "countType": "sinceImagePushed",
                            "countNumber": 3,
                        },
                    }
                ]
            },
            "rule 2: tagStatus must be one of tagged, untagged, any",
        ),
        ({"rules": [POLICY["rules"][0], POLICY["rules"][0]]}, "two rules have rulePriority 1"),
        ({"rulez": []}, "unknown field(s) rulez"),
    ],
)
def test_a_bad_policy_is_refused_with_a_clear_message(
    client: Any, repo: str, document: Any, words: str
) -> None:
    put_policy(client, repo, POLICY)
    response = put_policy(client, repo, document)
    assert_error(response, 400, "UNSUPPORTED")
    message = json_of(response)["errors"][0]["message"]
    assert words in message, message
    assert json_of(client.http.get(f"/v2/{repo}/_berth/lifecycle"))["version"] == 1, "unchanged"


def test_run_and_dry_run_through_the_api(client: Any, repo: str) -> None:
    first = push_image(client, repo)
    second = push_image(client, repo)
    put_policy(client, repo, POLICY)
    dry = client.http.post(f"/v2/{repo}/_berth/lifecycle?dry-run=1", body=b"")
    assert_ok(dry, 200)
    document = json_of(dry)
    assert document["dryRun"] is True and document["deleted"] == []
    assert [e["digest"] for e in document["expire"]] == [first.digest]
    assert document["expire"][0]["rule"] == "rule 1 (untagged: more than 1 images)"
    assert client.http.get(f"/v2/{repo}/manifests/{first.digest}").status_code == 200
    everywhere = json_of(client.http.post("/v2/_berth/lifecycle?dry-run=1", body=b""))
    assert repo in [r["name"] for r in everywhere["repositories"]]
    real = json_of(client.http.post(f"/v2/{repo}/_berth/lifecycle", body=b""))
    assert real["deleted"] == [first.digest]
    assert client.http.get(f"/v2/{repo}/manifests/{first.digest}").status_code == 404
    assert client.http.get(f"/v2/{repo}/manifests/{second.digest}").status_code == 200
    assert client.http.delete(f"/v2/{repo}/_berth/lifecycle").status_code == 405


def test_settings_carry_the_rollback_window(client: Any, repo: str) -> None:
    path = f"/v2/{repo}/_berth/settings"
    assert json_of(client.http.get(path))["rollbackWindow"] == 10
    headers = {"content-type": "application/json"}
    body = json.dumps({"immutableTags": True, "rollbackWindow": 3}).encode()
    assert json_of(client.http.put(path, headers=headers, body=body))["rollbackWindow"] == 3
    body = json.dumps({"immutableTags": False}).encode()  # absent: stays
    assert json_of(client.http.put(path, headers=headers, body=body))["rollbackWindow"] == 3
    for bad in (-1, 1001, "3", True):
        body = json.dumps({"rollbackWindow": bad}).encode()
        assert_error(client.http.put(path, headers=headers, body=body), 400, "UNSUPPORTED")


def test_berth_lifecycle_commands(
    berth: Any,  # noqa: F811
    client: Any,
    repo: str,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = berth(capsys, "lifecycle", "show", repo)
    assert status == 0 and out.splitlines() == [
        f"{repo}: policy version 0",
        "no rules: nothing expires",
    ]
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY))
    status, out, _ = berth(capsys, "lifecycle", "set", repo, "--file", str(policy))
    assert status == 0
    assert out.splitlines()[1:] == [
        "rule 1: untagged: keep the newest 1  (drop untagged)",
        "rule 2: tagged release-*: expire pushed more than 90 days ago",
    ]
    status, out, _ = berth(
        capsys,
        "lifecycle",
        "set",
        repo,
        "--keep-last",
        "5",
        "--tag-pattern",
        "v*",
        "--untagged-days",
        "14",
    )
    assert status == 0 and out.splitlines()[1:] == [
        "rule 1: tagged v*: keep the newest 5",
        "rule 2: untagged: expire pushed more than 14 days ago",
    ]
    status, _, err = berth(capsys, "lifecycle", "set", repo, "--untagged-days", "0")
    assert status == 1 and "countNumber must be a whole number from 1" in err
    old = push_image(client, repo)
    push_image(client, repo)
    status, _, _ = berth(capsys, "lifecycle", "set", repo, "--file", str(policy))
    status, out, _ = berth(capsys, "lifecycle", "run", repo, "--dry-run")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"{repo}: would delete 1 of 2 manifests"
    assert lines[2].split()[:2] == [old.digest, "-"]
    assert "rule 1 (untagged: more than 1 images)" in lines[2]
    status, out, _ = berth(capsys, "lifecycle", "run", "--all", "--json")
    assert status == 0 and json.loads(out)["deleted"] >= 1
    status, _, err = berth(capsys, "lifecycle", "run")
    assert status == 2 and "name one REPO, or --all" in err
    status, out, _ = berth(capsys, "repo", "set-rollback-window", repo, "4")
    assert status == 0 and out.strip() == f"{repo}: rollback window 4 moves of each tag"


def test_the_daily_schedule_runs_every_policy(
    client: Any, repo: str, caplog: pytest.LogCaptureFixture
) -> None:
    push_image(client, repo)
    push_image(client, repo)
    put_policy(client, repo, POLICY)
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    with caplog.at_level("INFO", logger="berth"):
        client.lambda_.invoke("apply_lifecycle", event)
    (record,) = [r for r in caplog.records if r.getMessage() == "lifecycle"]
    summary = record.__dict__["fields"]["lifecycle"]
    mine = [r for r in summary["repositories"] if r["name"] == repo]
    assert len(mine[0]["deleted"]) == 1
