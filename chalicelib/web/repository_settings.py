"""A repository's settings, for its admins (`*` on it, as the settings and lifecycle API ask):
tag immutability with its exclusion list, and the lifecycle policy, which is saved only from
its dry-run preview, so an admin sees what it would delete before it can.

    GET  /ui/settings?name=N   the rules and the policy (2 GetItems)
    POST /ui/settings          do=immutability: save the rules (1 GetItem, 1 UpdateItem, the
                               audit record); do=lifecycle.preview: the proposed policy's dry
                               run (GetItem + the lifecycle snapshot's Query + the unreferenced
                               links' reads), nothing written; do=lifecycle.save: store it
                               (1 GetItem, 1 PutItem, the audit record)

Changes are audited as the API audits them (`settings.change`, `lifecycle.policy`)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from chalice.app import Response

from chalicelib.api.http import HttpRequest
from chalicelib.oci.errors import OCIError
from chalicelib.web.html import e, table
from chalicelib.web.respond import (
    csrf_field,
    error,
    forged,
    form,
    redirect,
    request_of,
    show,
    signed_in,
    standby_refusal,
)
from chalicelib.web.session import Viewer

MAX_POLICY_CHARS = 64 * 1024
EXAMPLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "drop untagged after two weeks",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 14,
            },
        }
    ]
}


def _admin_of(request: HttpRequest, name_field: str | None) -> tuple[Viewer, str] | Response:
    from chalicelib.oci.reference import check_name

    viewer = signed_in(request)
    if isinstance(viewer, Response):
        return viewer
    name = name_field or ""
    try:
        check_name(name)
    except OCIError:
        return error(400, "not a repository name", viewer)
    if not viewer.may(name, "*"):
        return error(403, f"changing settings needs admin on {name}", viewer)
    return viewer, name


def _immutability_form(viewer: Viewer, name: str) -> str:
    from chalicelib.storage import repo_settings

    rules = repo_settings.get(name)
    excluded = (
        "".join(f"<li><code>{e(p)}</code></li>" for p in rules.exclude)
        or "<li>none: every tag</li>"
    )
    checked = " checked" if rules.immutable else ""
    return (
        "<h2>Tag immutability</h2>"
        f"<p>Now: tags are <strong>{'immutable' if rules.immutable else 'mutable'}</strong>"
        f"{'' if not rules.immutable else ', except those matching:'}</p>"
        + (f'<ul id="exclusions">{excluded}</ul>' if rules.immutable else "")
        + f'<form method="post" action="/ui/settings" class="grid" id="immutability">'
        f"{csrf_field(viewer)}"
        '<input type="hidden" name="do" value="immutability">'
        f'<input type="hidden" name="name" value="{e(name)}">'
        f'<label><input type="checkbox" name="immutable" value="1"{checked}> '
        "tags cannot be moved or deleted once pushed</label>"
        "<label>Except tags matching (one pattern a line)"
        f'<textarea name="exclude" rows="3">{e(chr(10).join(rules.exclude))}</textarea></label>'
        '<button type="submit">Save immutability</button></form>'
    )


def _policy_form(viewer: Viewer, name: str, text: str) -> str:
    return (
        '<form method="post" action="/ui/settings" class="grid" id="lifecycle">'
        f"{csrf_field(viewer)}"
        '<input type="hidden" name="do" value="lifecycle.preview">'
        f'<input type="hidden" name="name" value="{e(name)}">'
        "<label>Policy (JSON, as <code>berth lifecycle set --file</code> takes it)"
        f'<textarea name="policy" rows="12" spellcheck="false">{e(text)}</textarea></label>'
        '<button type="submit">Preview what it would delete</button></form>'
    )


def settings(chalice_request: Any) -> Response:
    from chalicelib.lifecycle import store

    request = request_of(chalice_request)
    found = _admin_of(request, request.arg("name"))
    if isinstance(found, Response):
        return found
    viewer, name = found
    stored = store.get(name)
    text = json.dumps(stored.document() if stored.rules else EXAMPLE, indent=2)
    saved = {"immutability": "Immutability saved.", "lifecycle": "Lifecycle policy saved."}
    done = saved.get(request.arg("done") or "")
    body = (
        (f'<p class="notice">{e(done)}</p>' if done else "")
        + f'<p><a href="/ui/repository?name={quote(name)}">the tags</a></p>'
        + _immutability_form(viewer, name)
        + "<h2>Lifecycle policy</h2>"
        + (
            f"<p>Version {stored.version}, {len(stored.rules)} rule(s).</p>"
            if stored.rules
            else "<p>None set (an example is below).</p>"
        )
        + _policy_form(viewer, name, text)
    )
    return show(request, viewer, f"{name} settings", body)


def _preview(request: HttpRequest, viewer: Viewer, name: str, text: str) -> Response:
    from chalicelib.lifecycle.document import parse_policy
    from chalicelib.lifecycle.executor import run_repository
    from chalicelib.lifecycle.store import StoredPolicy, get

    rules = parse_policy(_json(text))
    current = get(name)
    run = run_repository(name, dry_run=True, stored=StoredPolicy(rules, current.version))
    expire = [
        [f"<code>{e(str(x['digest'])[:19])}</code>", e(", ".join(x["tags"]) or "-"), e(x["rule"])]
        for x in run.expire
    ]
    kept = [[f"<code>{e(str(x['digest'])[:19])}</code>", e(x["why"])] for x in run.kept]
    save = (
        '<form method="post" action="/ui/settings" id="lifecycle-save">'
        f"{csrf_field(viewer)}"
        '<input type="hidden" name="do" value="lifecycle.save">'
        f'<input type="hidden" name="name" value="{e(name)}">'
        f'<input type="hidden" name="version" value="{current.version}">'
        f'<input type="hidden" name="policy" value="{e(text)}">'
        '<button type="submit">Save this policy</button></form>'
    )
    body = (
        '<h2>Dry run of the proposed policy</h2><p id="preview-summary">'
        f"Of {run.manifests} manifest(s), it would delete {len(run.expire)} now "
        f"and keep {len(run.kept)} that a rule selected.</p>"
        + (
            table(["Manifest", "Tags", "Rule"], expire, table_id="would-expire")
            if expire
            else "<p>Nothing would be deleted.</p>"
        )
        + (table(["Manifest", "Kept because"], kept, table_id="would-keep") if kept else "")
        + save
        + _policy_form(viewer, name, text)
    )
    return show(request, viewer, f"{name} settings", body)


def _json(text: str) -> Any:
    if len(text) > MAX_POLICY_CHARS:
        raise OCIError("UNSUPPORTED", "the policy is too long", status=400)
    try:
        return json.loads(text)
    except ValueError as problem:
        raise OCIError("UNSUPPORTED", f"the policy is not JSON: {problem}", status=400) from None


def _audit(request: HttpRequest, action: str, name: str, detail: dict[str, Any]) -> None:
    from chalicelib.audit import record

    record.change(request, action, repository=name, detail=detail)


def change(chalice_request: Any) -> Response:
    from chalicelib.lifecycle import store
    from chalicelib.lifecycle.document import parse_policy
    from chalicelib.rules.immutability import parse_settings
    from chalicelib.storage import repo_settings

    request = request_of(chalice_request)
    fields = form(request)
    found = _admin_of(request, fields.get("name"))
    if isinstance(found, Response):
        return found
    viewer, name = found
    if forged(viewer, fields):
        return error(403, "The form expired; reload the page.", viewer)
    if (standby := standby_refusal(viewer)) is not None:
        return standby
    request.principal = viewer.principal.subject if viewer.principal else "-"
    do = fields.get("do", "")
    back = f"/ui/settings?name={quote(name)}"
    try:
        if do == "immutability":
            patterns = [p.strip() for p in fields.get("exclude", "").splitlines() if p.strip()]
            immutable, exclude = parse_settings(
                {"immutableTags": fields.get("immutable") == "1", "immutableTagsExclude": patterns}
            )
            before = repo_settings.get(name)
            rules = repo_settings.put(name, immutable, exclude)
            after = rules.document()
            changed = sorted(
                k for k in after if k != "version" and before.document()[k] != after[k]
            )
            _audit(
                request,
                "settings.change",
                name,
                {"before": before.document(), "after": after, "changed": changed},
            )
            return redirect(back + "&done=immutability")
        if do == "lifecycle.preview":
            return _preview(request, viewer, name, fields.get("policy", ""))
        if do == "lifecycle.save":
            policy = parse_policy(_json(fields.get("policy", "")))
            current = store.get(name)
            if str(current.version) != fields.get("version"):
                return error(409, "The policy changed since the preview; preview again.", viewer)
            stored = store.put(name, policy)
            _audit(
                request,
                "lifecycle.policy",
                name,
                {"before": current.document(), "after": stored.document()},
            )
            return redirect(back + "&done=lifecycle")
    except OCIError as problem:
        return error(problem.status, problem.message, viewer)
    return error(400, "That is not a change this page makes.", viewer)
