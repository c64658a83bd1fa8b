"""Berth extension: replication rules, `/v2/_berth/replication[...]` (registry admins).

    GET    replication                       the rules
    POST   replication {"repository": "team/*", "destinations": [...],
                        "includeTags": ["v*"], "excludeTags": ["*-rc*"],
                        "actions": ["push", "tag_delete", "manifest_delete"],
                        "referrers": true}
    GET    replication/<id>
    DELETE replication/<id>
    GET    replication/status?repository=R   each image at each destination
    POST   replication/<id>/backfill {"repository": R}   queue what R's tags name now
    POST   replication/redrive?repository=R  queue every failed copy of R again

Destinations and their credential references: chalicelib/replication/destinations.py."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.events.config import event_settings
from chalicelib.oci.errors import OCIError
from chalicelib.replication import rules, status
from chalicelib.replication.records import ReplicaState, ReplicationRule


def _bad(message: str) -> OCIError:
    return OCIError("UNSUPPORTED", message, status=400)


def _document(rule: ReplicationRule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rule.id,
        "repository": rule.repository,
        "includeTags": list(rule.include_tags),
        "excludeTags": list(rule.exclude_tags),
        "destinations": [d.document() for d in rule.destinations],
        "actions": list(rule.actions),
        "referrers": rule.referrers,
        "enabled": rule.enabled,
        "createdAt": rule.created_at.isoformat(),
        "createdBy": rule.created_by,
    }
    return {k: v for k, v in out.items() if v is not None}


def _status_document(replica: ReplicaState) -> dict[str, Any]:
    out: dict[str, Any] = {
        "digest": replica.digest,
        "tag": replica.tag,
        "tags": list(replica.tags),
        "rule": replica.rule,
        "destination": replica.destination,
        "target": replica.target,
        "action": replica.action,
        "state": replica.state,
        "attempts": replica.attempts,
        "error": replica.error,
        "updatedAt": replica.updated_at.isoformat(),
        "doneAt": replica.done_at.isoformat() if replica.done_at else None,
    }
    return {k: v for k, v in out.items() if v is not None}


def _get(rule_id: str) -> ReplicationRule:
    try:
        return rules.find(rule_id)
    except rules.NoSuchRule as error:
        raise OCIError("NAME_UNKNOWN", str(error)) from None


def _list_of_strings(document: dict[str, Any], key: str) -> list[str] | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{key!r} is a list of strings")
    return value


def _create(request: HttpRequest) -> Response:
    from chalicelib.audit import record, store

    document = json_body(request, "the replication rule")
    if not isinstance(document, dict):
        raise _bad("the replication rule is a JSON object")
    repository = document.get("repository")
    targets = document.get("destinations")
    referrers = document.get("referrers", True)
    if not isinstance(repository, str):
        raise _bad("'repository' is a repository name, 'ns/*' or '*'")
    if not isinstance(targets, list):
        raise _bad("'destinations' is a list of destinations")
    if not isinstance(referrers, bool):
        raise _bad("'referrers' is true or false")
    actor = record.actor(request)
    try:
        created = rules.create(
            repository=repository,
            targets=targets,
            include_tags=_list_of_strings(document, "includeTags"),
            exclude_tags=_list_of_strings(document, "excludeTags"),
            actions=_list_of_strings(document, "actions"),
            referrers=referrers,
            allow_http=event_settings().allow_http,
            created_by=None if actor == "-" else actor,
        )
    except rules.RuleError as error:
        raise _bad(str(error)) from None
    rule = rules.rule_of(created)
    store.write(record.event(request, "replication.add", repository=None, detail=_document(rule)))
    return json_response(201, _document(rule))


def _repository_arg(request: HttpRequest) -> str:
    from chalicelib.oci.reference import check_name

    repository = request.arg("repository")
    if not repository:
        raise _bad("repository is required")
    try:
        check_name(repository)
    except OCIError:
        raise _bad("repository is not a repository name") from None
    return repository


def _status(request: HttpRequest) -> Response:
    repository = _repository_arg(request)
    found = [_status_document(r) for r in status.states(repository)]
    return json_response(200, {"repository": repository, "replicas": found})


def _backfill(request: HttpRequest, rule_id: str) -> Response:
    from chalicelib.replication import backfill

    rule = _get(rule_id)  # NAME_UNKNOWN before the body is read
    document = json_body(request, "the backfill")
    repository = document.get("repository") if isinstance(document, dict) else None
    if not isinstance(repository, str):
        raise _bad("'repository' names the repository to backfill")
    try:
        queued = backfill.queue_rule(rule.id, repository)
    except backfill.BackfillError as error:
        raise _bad(str(error)) from None
    return json_response(202, {"rule": rule_id, "repository": repository, "queued": queued})


def _redrive(request: HttpRequest) -> Response:
    from chalicelib.replication import backfill

    repository = _repository_arg(request)
    return json_response(202, {"repository": repository, "queued": backfill.redrive(repository)})


def handle(request: HttpRequest, _name: str, argument: str) -> Response:
    from chalicelib.audit import record, store

    parts = argument.split("/") if argument else []
    if len(parts) > 2 or any(not p for p in parts):
        raise OCIError("UNSUPPORTED", "no replication endpoint here", status=404)
    method = request.method
    if not parts and method == "GET":
        return json_response(200, {"rules": [_document(r) for r in rules.listing()]})
    if not parts and method == "POST":
        return _create(request)
    if parts == ["status"] and method == "GET":
        return _status(request)
    if parts == ["redrive"] and method == "POST":
        return _redrive(request)
    if len(parts) == 1 and method == "GET":
        return json_response(200, _document(_get(parts[0])))
    if len(parts) == 1 and method == "DELETE":
        rule = _get(parts[0])
        rules.delete(parts[0])
        store.write(
            record.event(request, "replication.remove", repository=None, detail=_document(rule))
        )
        return json_response(200, {"deleted": parts[0]})
    if len(parts) == 2 and parts[1] == "backfill" and method == "POST":
        return _backfill(request, parts[0])
    raise OCIError("UNSUPPORTED", f"{method} is not allowed here", status=405)
