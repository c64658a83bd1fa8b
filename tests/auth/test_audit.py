"""The audit log: each listed event recorded with who, what, when and from where; queried by
repository and by principal (paginated); nothing for pulls; denials and failed logins
bounded; no record of a push that did not happen; retention by TTL."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.audit import throttle
from chalicelib.audit.events import principal_key, repository_key
from chalicelib.audit.models import AuditItem
from chalicelib.auth.permissions import Level
from tests.api.helpers import image
from tests.auth.gate_support import Caller, basic, form, token, unique, user
from tests.faults import injected

UA = {"User-Agent": "audit-test/1.0"}
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _push(client: Any, caller: Caller | None, repo: str, tag: str) -> str:
    """Push a fresh image as `caller` (None: no credentials); its digest."""
    headers = {**UA, **(caller.basic() if caller else {})}
    manifest = image()
    for blob in manifest.blobs:
        started = client.http.post(f"/v2/{repo}/blobs/uploads/", headers=headers, body=b"")
        assert started.status_code == 202, started.body
        location = started.headers["Location"]
        sep = "&" if "?" in location else "?"
        done = client.http.put(
            f"{location}{sep}digest={_digest(blob)}",
            headers={**headers, "Content-Type": "application/octet-stream"},
            body=blob,
        )
        assert done.status_code == 201, done.body
    response = client.http.put(
        f"/v2/{repo}/manifests/{tag}",
        headers={**headers, "Content-Type": manifest.media_type},
        body=manifest.body,
    )
    assert response.status_code == 201, response.body
    return manifest.digest


def _audit(client: Any, caller: Caller, query: str) -> tuple[int, Any, Any]:
    response = client.http.get(f"/v2/_berth/audit?{query}", headers=caller.basic())
    return response.status_code, json.loads(response.body), response.headers


def _items(key: str) -> list[AuditItem]:
    return list(AuditItem.query(key, consistent_read=True))


@pytest.fixture
def admin(auth_on: None) -> Caller:
    throttle.reset()
    return user("admin", [("*", Level.ADMIN)])


def test_push_tag_move_rollback_and_deletes(client: Any, admin: Caller) -> None:
    repo = f"{unique('au')}/app"
    writer = user("writer", [(repo, Level.DELETE)])
    before = datetime.now(UTC)
    first = _push(client, writer, repo, "v1")
    second = _push(client, writer, repo, "v1")  # moves v1
    back = client.http.post(f"/v2/{repo}/_berth/rollback/v1", headers={**UA, **writer.basic()})
    assert back.status_code == 200, back.body
    assert client.http.delete(f"/v2/{repo}/manifests/v1", headers=writer.basic()).status_code == 202
    gone = client.http.delete(f"/v2/{repo}/manifests/{second}", headers=writer.basic())
    assert gone.status_code == 202
    layer = json.loads(image().body)  # any digest that is not linked: a 404, not recorded
    assert layer
    # pulls and HEADs record nothing
    for _ in range(3):
        client.http.get(f"/v2/{repo}/manifests/{first}", headers=writer.basic())
        client.http.head(f"/v2/{repo}/manifests/{first}", headers=writer.basic())

    status, document, _ = _audit(client, admin, f"repository={repo}")
    assert status == 200
    events = document["events"]
    assert [e["action"] for e in events] == ["delete", "delete", "rollback", "push", "push"]
    who = f"user:{writer.username}"
    assert all(e["who"] == who and e["outcome"] == "ok" for e in events)
    assert all(e["sourceIp"] == "127.0.0.1" for e in events)
    push1, push2 = events[4], events[3]
    assert push1["digest"] == first and push1["tags"] == [{"tag": "v1", "from": None, "to": first}]
    assert push1["userAgent"] == "audit-test/1.0"
    assert push2["tags"] == [{"tag": "v1", "from": first, "to": second}]
    assert events[2]["tags"] == [{"tag": "v1", "from": second, "to": first}]
    assert events[1]["tags"] == [{"tag": "v1", "from": first, "to": None}]  # tag deleted
    assert events[0]["digest"] == second
    at = datetime.fromisoformat(push1["at"].replace("Z", "+00:00"))
    assert before <= at <= datetime.now(UTC)
    # The same events by principal, and nothing else of this writer's (no pulls).
    status, mine, _ = _audit(client, admin, f"principal={who}")
    assert status == 200 and [e["action"] for e in mine["events"]] == [
        "delete",
        "delete",
        "rollback",
        "push",
        "push",
        "login",
    ]
    assert mine["events"][-1]["outcome"] == "ok"  # the Basic login on /v2


def test_blob_delete_is_recorded(client: Any, admin: Caller) -> None:
    repo = f"{unique('au')}/blob"
    _push(client, admin, repo, "v")
    manifest = image()
    blob = manifest.blobs[0]
    started = client.http.post(f"/v2/{repo}/blobs/uploads/", headers=admin.basic(), body=b"")
    location = started.headers["Location"]
    sep = "&" if "?" in location else "?"
    put = client.http.put(
        f"{location}{sep}digest={_digest(blob)}",
        headers={**admin.basic(), "Content-Type": "application/octet-stream"},
        body=blob,
    )
    assert put.status_code == 201
    deleted = client.http.delete(f"/v2/{repo}/blobs/{_digest(blob)}", headers=admin.basic())
    assert deleted.status_code == 202
    again = client.http.delete(f"/v2/{repo}/blobs/{_digest(blob)}", headers=admin.basic())
    assert again.status_code == 404
    _, document, _ = _audit(client, admin, f"repository={repo}")
    deletes = [e for e in document["events"] if e["action"] == "delete"]
    assert len(deletes) == 1 and deletes[0]["digest"] == _digest(blob)
    assert deletes[0]["detail"] == {"blob": True}


def test_pagination_and_since(client: Any, admin: Caller) -> None:
    repo = f"{unique('au')}/pages"
    digests = [_push(client, admin, repo, f"t{i}") for i in range(5)]
    seen: list[str] = []
    path = f"/v2/_berth/audit?repository={repo}&n=2"
    pages = 0
    while path:
        response = client.http.get(path, headers=admin.basic())
        assert response.status_code == 200
        page = json.loads(response.body)["events"]
        assert len(page) <= 2
        seen.extend(e["digest"] for e in page)
        link = response.headers.get("Link")
        path = link[link.index("<") + 1 : link.index(">")] if link else ""
        pages += 1
    assert seen == digests[::-1] and pages == 3
    _, everything, _ = _audit(client, admin, f"repository={repo}")
    middle = everything["events"][2]["at"]
    _, recent, _ = _audit(client, admin, f"repository={repo}&since={middle}")
    assert [e["digest"] for e in recent["events"]] == [*digests[:2:-1], digests[2]]
    assert _audit(client, admin, f"repository={repo}&since=yesterday")[0] == 400
    assert _audit(client, admin, "n=3")[0] == 400
    assert _audit(client, admin, f"repository={repo}&principal=user:x")[0] == 400
    assert _audit(client, admin, f"repository={repo}&n=x")[0] == 400


def test_repository_admins_read_their_own_log_only(client: Any, admin: Caller) -> None:
    repo = f"{unique('au')}/own"
    owner = user("owner", [(repo, Level.ADMIN)])
    _push(client, owner, repo, "v")
    assert _audit(client, owner, f"repository={repo}")[0] == 200
    assert _audit(client, owner, f"repository={unique('au')}/other")[0] == 403
    assert _audit(client, owner, f"principal=user:{owner.username}")[0] == 403


def test_permission_changes_are_recorded_without_secrets(client: Any, admin: Caller) -> None:
    name, password = unique("u"), f"pw-{uuid.uuid4().hex}"
    body = {"name": name, "password": password, "grants": [{"pattern": "x/*", "level": "pull"}]}
    created = client.http.post(
        "/v2/_berth/admin/users",
        headers={**admin.basic(), **UA, "Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )
    assert created.status_code == 201
    robot = client.http.post(
        "/v2/_berth/admin/robots",
        headers={**admin.basic(), "Content-Type": "application/json"},
        body=json.dumps({"name": name, "grants": [{"pattern": "x/y", "level": "push"}]}).encode(),
    )
    secret = json.loads(robot.body)["secret"]
    public = client.http.post(
        "/v2/_berth/admin/public",
        headers={**admin.basic(), "Content-Type": "application/json"},
        body=json.dumps({"pattern": f"{name}/open"}).encode(),
    )
    assert public.status_code == 200
    _, document, _ = _audit(client, admin, f"principal=user:{admin.username}")
    actions = [e["action"] for e in document["events"]]
    assert actions[:3] == ["public.add", "robot.create", "user.create"]
    create = document["events"][2]
    assert create["subject"] == f"user:{name}" and create["userAgent"] == "audit-test/1.0"
    assert create["detail"]["grants"] == [{"pattern": "x/*", "level": "pull", "expiresAt": None}]
    _, about, _ = _audit(client, admin, f"principal=user:{name}")
    assert [e["action"] for e in about["events"]] == ["user.create"]
    _, by_pattern, _ = _audit(client, admin, f"repository={name}/open")
    assert [e["action"] for e in by_pattern["events"]] == ["public.add"]
    raw = json.dumps(
        [i.attribute_values for i in _items(principal_key(f"user:{admin.username}"))], default=str
    )
    assert password not in raw and secret not in raw and str(admin.secret) not in raw


def test_logins_and_denials(client: Any, admin: Caller) -> None:
    repo = f"{unique('au')}/den"
    reader = user("reader", [(repo, Level.PULL)])
    assert token(client, reader, [f"repository:{repo}:pull"]).status_code == 200
    wrong = f"not-{reader.secret}"
    assert token(client, Caller("x", reader.username, wrong), []).status_code == 401
    ghost = f"Ghost:{uuid.uuid4().hex}"  # an unknown name that could be someone's password
    assert client.http.get("/v2/", headers=basic(ghost, "pw")).status_code == 401
    denied = client.http.put(
        f"/v2/{repo}/manifests/v", headers={**reader.basic(), **UA}, body=b"{}"
    )
    assert denied.status_code == 403
    bad_token = client.http.get(f"/v2/{repo}/tags/list", headers={"Authorization": "Bearer x.y.z"})
    assert bad_token.status_code == 401

    who = f"user:{reader.username}"
    _, document, _ = _audit(client, admin, f"principal={who}")
    events = {(e["action"], e["outcome"]): e for e in document["events"]}
    assert set(events) == {("login", "ok"), ("login", "failed"), ("denied", "denied")}
    assert events[("login", "failed")]["detail"] == {"reason": "UNAUTHORIZED"}
    refused = events[("denied", "denied")]
    assert refused["repository"] == repo and refused["detail"]["path"] == f"/v2/{repo}/manifests/v"
    assert refused["detail"]["status"] == 403 and refused["userAgent"] == "audit-test/1.0"
    _, by_repo, _ = _audit(client, admin, f"repository={repo}")
    assert [(e["action"], e["who"]) for e in by_repo["events"]] == [
        ("denied", "unknown:token"),
        ("denied", who),
    ]
    anonymised = "unknown:" + hashlib.sha256(ghost.split(":")[0].encode()).hexdigest()[:16]
    _, ghosts, _ = _audit(client, admin, f"principal={anonymised}")
    assert [e["action"] for e in ghosts["events"]] == ["login"]
    assert ghost.split(":")[0] not in json.dumps(ghosts)
    assert wrong not in json.dumps(document)


def test_denials_and_failed_logins_are_bounded(
    client: Any, admin: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst writes one record; the next window's record carries the burst's count. The
    window is measured on an injected clock: the burst fits in it however slow the run."""
    moment = [1000.0]
    monkeypatch.setattr(throttle, "clock", lambda: moment[0])
    monkeypatch.setenv("BERTH_AUDIT_BOUND_SECONDS", "60")
    repo = f"{unique('au')}/burst"
    reader = user("reader", [(repo, Level.PULL)])
    key = principal_key(f"user:{reader.username}")
    with injected() as calls:
        for _ in range(30):
            response = client.http.delete(f"/v2/{repo}/manifests/v", headers=reader.basic())
            assert response.status_code == 403
            moment[0] += 1.9  # 29 steps: 55.1 s, still inside the window
    writes = [c for c in calls.calls if c in ("BatchWriteItem", "PutItem", "UpdateItem")]
    # One login (the first Basic request), one denial record: 30 refusals, two writes.
    assert len(writes) == 2, calls.calls
    denials = [i for i in _items(key) if i.action == "denied"]
    assert [int(i.events) for i in denials] == [1]
    moment[0] = 1000.0 + 60  # the window's end
    assert client.http.delete(f"/v2/{repo}/manifests/v", headers=reader.basic()).status_code == 403
    denials = [i for i in _items(key) if i.action == "denied"]
    assert sorted(int(i.events) for i in denials) == [1, 30]  # 29 counted + this one


def test_a_failed_push_leaves_no_record(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault at every AWS call of a manifest PUT: a failed PUT leaves no push record; the
    retry that succeeds leaves exactly one (auth off: pushes are audited either way)."""
    repo = f"{unique('au')}/fault"
    manifest = image()
    for blob in manifest.blobs:
        started = client.http.post(f"/v2/{repo}/blobs/uploads/", body=b"")
        location = started.headers["Location"]
        sep = "&" if "?" in location else "?"
        client.http.put(
            f"{location}{sep}digest={_digest(blob)}",
            headers={"Content-Type": "application/octet-stream"},
            body=blob,
        )

    def put() -> int:
        response = client.http.put(
            f"/v2/{repo}/manifests/v",
            headers={"Content-Type": manifest.media_type},
            body=manifest.body,
        )
        return int(response.status_code)

    with injected() as clean:
        assert put() == 201
    assert "TransactWriteItems" in clean.calls
    assert [(i.action, i.who) for i in _items(repository_key(repo))] == [("push", "-")]
    other = f"{repo}2"
    for blob in manifest.blobs:
        started = client.http.post(f"/v2/{other}/blobs/uploads/?mount={_digest(blob)}&from={repo}")
        assert started.status_code == 201
    failures = 0
    for fail_at in range(len(clean.calls)):
        with injected(fail_at) as faulty:
            status = client.http.put(
                f"/v2/{other}/manifests/v",
                headers={"Content-Type": manifest.media_type},
                body=manifest.body,
            ).status_code
        if status == 201:
            break
        failures += 1
        assert status == 503 and faulty.failed is not None
        assert _items(repository_key(other)) == [], faulty.failed
    assert failures >= 2  # at least the tag read and the transaction itself
    assert len(_items(repository_key(other))) == 0
    with injected() as retry:
        response = client.http.put(
            f"/v2/{other}/manifests/v",
            headers={"Content-Type": manifest.media_type},
            body=manifest.body,
        )
    assert response.status_code == 201
    assert retry.calls.count("TransactWriteItems") == 1
    assert [(i.action, i.digest) for i in _items(repository_key(other))] == [
        ("push", manifest.digest)
    ]


def test_retention(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An event expires its retention after the moment it was recorded (an injected clock)."""
    from chalicelib.audit import record

    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    monkeypatch.setattr(record, "utcnow", lambda: moment)
    repo = f"{unique('au')}/ttl"
    _push(client, None, repo, "v")
    (item,) = _items(repository_key(repo))
    assert int(item.expires_at) == int(moment.timestamp()) + 90 * 86400
    monkeypatch.setenv("BERTH_AUDIT_RETENTION_DAYS", "7")
    repo = f"{unique('au')}/ttl"
    _push(client, None, repo, "v")
    (item,) = _items(repository_key(repo))
    assert int(item.expires_at) == int(moment.timestamp()) + 7 * 86400


def test_no_secret_in_log_lines_or_audit_items(
    client: Any, admin: Caller, caplog: pytest.LogCaptureFixture
) -> None:
    """Passwords, robot secrets and tokens sent to or answered by the admin API, /token and
    /v2 never reach a log line or an audit item (all of them, scanned)."""
    import logging

    import boto3

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="berth")
    secrets: list[str] = [str(admin.secret)]
    name, password = unique("u"), f"Pw:{uuid.uuid4().hex}"
    secrets.append(password)
    headers = {**admin.basic(), "Content-Type": "application/json"}
    body = {"name": name, "password": password, "grants": [{"pattern": "s/*", "level": "push"}]}
    assert (
        client.http.post(
            "/v2/_berth/admin/users", headers=headers, body=json.dumps(body).encode()
        ).status_code
        == 201
    )
    new = f"New:{uuid.uuid4().hex}"
    secrets.append(new)
    assert (
        client.http.put(
            f"/v2/_berth/admin/users/{name}/password",
            headers=headers,
            body=json.dumps({"password": new}).encode(),
        ).status_code
        == 200
    )
    robot = client.http.post(
        "/v2/_berth/admin/robots",
        headers=headers,
        body=json.dumps({"name": name, "grants": [{"pattern": "s/x", "level": "pull"}]}).encode(),
    )
    secrets.append(json.loads(robot.body)["secret"])
    issued = token(client, Caller("u", name, new), ["repository:s/x:pull,push"])
    secrets.append(json.loads(issued.body)["token"])
    assert (
        client.http.get(
            "/v2/s/x/tags/list", headers={"Authorization": f"Bearer {secrets[-1]}"}
        ).status_code
        == 404
    )
    assert (
        client.http.get(
            "/v2/s/y/tags/list", headers={"Authorization": f"Bearer {secrets[-1]}x"}
        ).status_code
        == 401
    )
    assert token(client, Caller("u", name, password), []).status_code == 401  # the old one
    assert token(client, Caller("u", password, new), []).status_code == 401  # swapped fields
    lines = "\n".join(
        record.getMessage() + json.dumps(getattr(record, "fields", {}), default=str)
        for record in caplog.records
    )
    table = boto3.client("dynamodb").scan(
        TableName=AuditItem.Meta.table_name,
        FilterExpression="begins_with(pk, :audit)",
        ExpressionAttributeValues={":audit": {"S": "AUDIT#"}},
    )
    items = json.dumps(table["Items"])
    assert "user.password" in items and "login" in items
    for secret in secrets:
        assert secret not in lines
        assert secret not in items
        assert secret.split(":")[-1] not in items


def test_refresh_token_logins(client: Any, admin: Caller) -> None:
    someone = user("someone", [])
    answer = form(
        client,
        {
            "grant_type": "password",
            "username": str(someone.username),
            "password": str(someone.secret),
            "service": "berth",
            "access_type": "offline",
            "client_id": "test",
        },
    )
    assert answer.status_code == 200
    refresh_token = json.loads(answer.body)["refresh_token"]
    throttle.reset()  # the password login above already took this window's record
    again = form(
        client,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "service": "berth",
            "client_id": "test",
        },
    )
    assert again.status_code == 200
    bogus = form(
        client,
        {
            "grant_type": "refresh_token",
            "refresh_token": "nope.nope",
            "service": "berth",
            "client_id": "test",
        },
    )
    assert bogus.status_code == 401
    _, document, _ = _audit(client, admin, f"principal=user:{someone.username}")
    assert [(e["action"], e["outcome"]) for e in document["events"]] == [
        ("login", "ok"),
        ("login", "ok"),
    ]
    assert refresh_token not in json.dumps(document)
