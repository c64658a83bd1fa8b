"""The pages under `/ui`. Each reads what it shows in a bounded number of AWS calls (stated
per page; tests/web/test_pages.py counts them) and never scans the table.

    GET  /ui[?after=R]                        repositories, a page of MAX_LISTED, and a
                                              storage chart (1 Query)
    GET  /ui/repository?name=N[&after=T]      its tags (1 Query: the tag items carry a copy of
                                              each manifest, signers, scan verdict and times;
                                              plus 1 S3 GET per single-platform image config
                                              this instance has not read yet, for its
                                              os/arch: storage/config_platforms.py)
    GET  /ui/image?name=N&digest=D            an image: platforms or layers, config, referrers,
                                              signature verdicts, scan findings (see
                                              docs/web.md for its calls)
    GET  /ui/history?name=N&tag=T             a tag's moves, newest first, and (to who may push)
                                              a rollback button per earlier manifest (1 GetItem,
                                              1 Query); POST /ui/rollback moves it
    GET  /ui/login, POST /ui/login, POST /ui/logout
    GET  /ui/static/<file>                    the stylesheet and the script

The other pages have their own modules: admin*.py, repository_settings.py, activity.py,
account.py (your own password) and iam_link.py (IAM sign-in through `berth ui login`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chalice.app import Response

from chalicelib.api.http import HttpRequest
from chalicelib.oci.errors import OCIError
from chalicelib.web import badges, charts, findings, pull_policy_section, session
from chalicelib.web.html import copy_button, e, human_size, page, table, when
from chalicelib.web.respond import error as _error
from chalicelib.web.respond import forged, request_of, show, standby_refusal
from chalicelib.web.respond import form as _form
from chalicelib.web.respond import html as _html
from chalicelib.web.respond import reader as _reader
from chalicelib.web.respond import redirect as _redirect
from chalicelib.web.respond import signed_in as _signed_in

STATIC = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
MAX_LISTED = 500
INDEXES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


def index(chalice_request: Any) -> Response:
    from chalicelib.storage import accounting

    request = request_of(chalice_request)
    viewer = _reader(request)
    if isinstance(viewer, Response):
        return viewer
    visible = viewer.may if viewer.principal is not None else None
    marked = viewer.principal is not None and not viewer.anonymous  # auth off: all open
    after = request.arg("after") or None
    if after is not None and not _is_name(after):
        return _error(400, "not a repository name", viewer)
    found, more = accounting.list_usage(after, MAX_LISTED, visible=visible)
    last = max((u.name for u in found), default=None)
    found.sort(key=lambda u: u.last_push_at.timestamp() if u.last_push_at else 0, reverse=True)
    rows = [
        [
            f'<a href="/ui/repository?name={quote(u.name)}">{e(u.name)}</a>',
            e(u.tags),
            e(human_size(u.size)),
            when(u.last_push_at)
            + (f" by {e(u.last_push_by)}" if u.last_push_by and viewer.sees_identities else ""),
        ]
        + ([_visibility(u.name)] if marked else [])
        for u in found
    ]
    chart = charts.storage_per_repository([(u.name, u.size) for u in found])
    body = (
        '<input type="search" placeholder="search repositories" data-filter="repositories" '
        'aria-label="search repositories" autofocus>'
        + table(
            ["Repository", "Tags", "Stored", "Last push"] + (["Visibility"] if marked else []),
            rows,
            table_id="repositories",
        )
        + _pages("/ui?", after, last if more else None, MAX_LISTED, "repositories")
        + ("" if rows or after else "<p>No repositories yet: push an image.</p>")
        + chart
    )
    return show(request, viewer, "Repositories", body)


def _visibility(repository: str) -> str:
    from chalicelib.web.visitors import is_public

    if is_public(repository):
        return '<span class="badge public" title="anyone may pull it">public</span>'
    return '<span class="badge private" title="pulling it needs a grant">private</span>'


def _is_name(value: str) -> bool:
    from chalicelib.oci.reference import check_name

    try:
        check_name(value)
    except OCIError:
        return False
    return True


def _pages(base: str, after: str | None, next_after: str | None, size: int, what: str) -> str:
    """Links between pages of `size` (in name order, each page sorted on its own): the first
    page, and the next one after the last name shown when more follow."""
    links = []
    if after is not None:
        links.append(f'<a href="{e(base.rstrip("?&"))}">first page</a>')
    if next_after is not None:
        links.append(
            f'<a href="{e(base)}after={quote(next_after)}" rel="next">next {size} {e(what)}</a>'
        )
    return f'<p class="pages">{" · ".join(links)}</p>' if links else ""


def _repository_name(request: HttpRequest) -> str:
    from chalicelib.oci.reference import check_name

    name = request.arg("name") or ""
    check_name(name)
    return name


def repository(chalice_request: Any) -> Response:
    from chalicelib.oci.reference import check_tag
    from chalicelib.storage import config_platforms, tags

    request = request_of(chalice_request)
    viewer = _reader(request)
    if isinstance(viewer, Response):
        return viewer
    try:
        name = _repository_name(request)
    except OCIError:
        return _error(400, "not a repository name", viewer)
    if not viewer.may(name):
        return _error(404, f"no repository {name} that you may see", viewer)
    after = request.arg("after")
    if after is not None:
        try:
            check_tag(after)
        except OCIError:
            return _error(400, "not a tag", viewer)
        items, more = tags.listing_after(name, after, MAX_LISTED)
    else:
        items, more = tags.listing(name, MAX_LISTED)
    last = max((i.name for i in items), default=None)
    host = request.header("host") or "REGISTRY"
    documents = {i.digest: _document(i.body) for i in items}
    configs = config_platforms.platforms(
        digest
        for document in documents.values()
        if document is not None and (digest := config_platforms.readable(document.get("config")))
    )
    rows = []
    for item in sorted(items, key=lambda i: i.updated_at, reverse=True):
        tag = item.name
        digest = str(item.digest)
        size, platforms = _summary(documents[item.digest], configs, len(item.body or b""))
        link = f"/ui/image?name={quote(name)}&digest={quote(digest)}"
        reference = f"{host}/{name}:{tag}"
        history = f"/ui/history?name={quote(name)}&tag={quote(tag)}"
        rows.append(
            [
                f'<a href="{e(history)}" title="history and rollback">{e(tag)}</a>',
                f'<a href="{e(link)}"><code>{e(digest[:19])}</code></a>' + copy_button(digest),
                e(size),
                e(platforms),
                when(item.updated_at)
                + (f" by {e(item.moved_by)}" if item.moved_by and viewer.sees_identities else ""),
                when(item.pulled_at),
                badges.scan(item.scan_verdict),
                badges.signature(item.signers),
                copy_button(f"docker pull {reference}", "docker")
                + copy_button(f"podman pull {reference}", "podman")
                + copy_button(f"skopeo copy docker://{reference} oci:./image", "skopeo"),
            ]
        )
    header = [
        "Tag",
        "Digest",
        "Size",
        "Platforms",
        "Pushed",
        "Last pulled",
        "Scan",
        "Signed",
        "Pull",
    ]
    settings = (
        f'<p><a href="/ui/activity?name={quote(name)}" id="activity-link">pushes and pulls '
        "per day</a>"
        + (
            f' · <a href="/ui/settings?name={quote(name)}" id="settings-link">settings</a>'
            if viewer.may(name, "*")
            else ""
        )
        + "</p>"
    )
    body = (
        settings + '<input type="search" placeholder="search tags" data-filter="tags" '
        'aria-label="search tags">'
        + table(header, rows, table_id="tags")
        + _pages(
            f"/ui/repository?name={quote(name)}&", after, last if more else None, MAX_LISTED, "tags"
        )
        + ("" if rows else "<p>No tags.</p>")
        + charts.pulls_image(name)
    )
    return show(request, viewer, name, body)


def _document(body: bytes | None) -> dict[str, Any] | None:
    """The manifest copy a tag item holds, parsed (None: absent or not a JSON object)."""
    if body is None:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _summary(
    document: dict[str, Any] | None, configs: dict[str, str | None], manifest_bytes: int
) -> tuple[str, str]:
    """An image's size (what a pull downloads: the manifest, its config and layers, as
    `berth tags` counts it) and platforms: an index names its children's, a single image's is
    its config's (`configs`, read by storage/config_platforms.py)."""
    from chalicelib.storage.config_platforms import platform_of, readable

    if document is None:
        return "-", "-"
    if document.get("mediaType") in INDEXES or "manifests" in document:
        platforms = [
            found
            for m in document.get("manifests", [])
            if isinstance(m, dict) and (found := platform_of(m.get("platform")))
        ]
        return "index", ", ".join(platforms) or "-"
    parts = [document.get("config"), *(document.get("layers") or [])]
    total = manifest_bytes + sum(int(d.get("size", 0)) for d in parts if isinstance(d, dict))
    config = readable(document.get("config"))
    return human_size(total), (configs.get(config) if config else None) or "-"


def image(chalice_request: Any) -> Response:
    from chalicelib.oci.digest import parse_digest
    from chalicelib.storage import manifests, referrers, signatures

    request = request_of(chalice_request)
    viewer = _reader(request)
    if isinstance(viewer, Response):
        return viewer
    try:
        name = _repository_name(request)
    except OCIError:
        return _error(400, "not a repository name", viewer)
    try:
        wanted = parse_digest(request.arg("digest"))
    except OCIError:
        return _error(400, "not a digest", viewer)
    digest = str(wanted)
    if not viewer.may(name):
        return _error(404, f"no repository {name} that you may see", viewer)
    stored = manifests.by_digest(name, wanted)
    if stored is None:
        return _error(404, f"no manifest {digest} in {name}", viewer)
    document = json.loads(stored.body)
    sections = [
        f"<p><code>{e(digest)}</code>{copy_button(digest)} · {e(stored.media_type)} · "
        f"{e(human_size(len(stored.body)))} manifest</p>"
    ]
    if isinstance(document.get("manifests"), list):
        rows = [
            [
                f'<a href="/ui/image?name={quote(name)}&digest={quote(str(m.get("digest")))}">'
                f"<code>{e(str(m.get('digest'))[:19])}</code></a>",
                e(
                    "/".join(
                        str(v) for v in (m.get("platform") or {}).values() if isinstance(v, str)
                    )
                ),
                e(human_size(int(m.get("size", 0)))),
            ]
            for m in document["manifests"]
            if isinstance(m, dict)
        ]
        sections.append("<h2>Platforms</h2>" + table(["Manifest", "Platform", "Size"], rows))
    else:
        layers = [d for d in document.get("layers") or [] if isinstance(d, dict)]
        rows = [
            [
                f"<code>{e(str(d.get('digest'))[:19])}</code>",
                e(human_size(int(d.get("size", 0)))),
                e(d.get("mediaType")),
            ]
            for d in layers
        ]
        sections.append("<h2>Layers</h2>" + table(["Layer", "Size", "Media type"], rows))
        sections.append(_config_section(name, document.get("config")))
    if document.get("annotations"):
        rows = [[e(k), e(v)] for k, v in sorted(document["annotations"].items())]
        sections.append("<h2>Annotations</h2>" + table(["Key", "Value"], rows))
    found, _ = referrers.descriptors(name, wanted, None, 100)
    rows = [
        [
            f'<a href="/ui/image?name={quote(name)}&digest={quote(str(r["digest"]))}">'
            f"<code>{e(str(r['digest'])[:19])}</code></a>",
            e(_referrer_kind(r)),
            e(r.get("artifactType", "-")),
            e(human_size(int(r.get("size", 0)))),
        ]
        for r in found
    ]
    sections.append(
        "<h2>Referrers</h2>"
        + (table(["Manifest", "What", "Artifact type", "Size"], rows) if rows else "<p>None.</p>")
    )
    if findings.scanned(found):
        sections.append(findings.section(wanted))
    sections.append(
        pull_policy_section.section(
            name, stored.media_type, stored.body, stored.scan_verdict, stored.signers
        )
    )
    verdicts = signatures.verdicts_for(name, wanted)
    if verdicts:
        rows = [
            [
                f"<code>{e(str(v.get('digest'))[:19])}</code>",
                e(v.get("format", "-")),
                '<span class="badge ok">verified</span>'
                if v.get("verified")
                else '<span class="badge bad">refused</span>'
                if v.get("verified") is False
                else '<span class="badge none">not checked</span>',
                e(v.get("signer") or v.get("reason") or "-"),
            ]
            for v in verdicts
        ]
        sections.append(
            "<h2>Signatures</h2>"
            + table(["Signature", "Format", "Verdict", "Signer or reason"], rows)
        )
    title = f"{name}@{digest[:19]}"
    return show(request, viewer, title, "".join(sections))


MAX_HISTORY = 100


def history(chalice_request: Any, message: str = "", status: int = 200) -> Response:
    """A tag's moves as a timeline, newest first; to a principal who may push, a button per
    earlier manifest that rolls the tag back to it (POST /ui/rollback, CSRF-checked)."""
    from chalicelib.oci.reference import check_tag
    from chalicelib.rules.history import action_of
    from chalicelib.storage import tags

    request = request_of(chalice_request)
    viewer = _reader(request)
    if isinstance(viewer, Response):
        return viewer
    try:
        name = _repository_name(request)
        tag = check_tag(request.arg("tag") or "")
    except OCIError:
        return _error(400, "not a repository name and tag", viewer)
    if not viewer.may(name):
        return _error(404, f"no repository {name} that you may see", viewer)
    current = tags.target(name, tag)
    moves = tags.history(name, tag, newest_first=True, limit=MAX_HISTORY)
    if request.arg("done") and not message:
        message = "The tag was rolled back."
    may_push = viewer.may(name, "push")
    now_at = str(current) if current is not None else None
    rows = []
    for move in moves:
        target = move.to_digest
        action = ""
        if may_push and target is not None and target != now_at:
            action = (
                '<form method="post" action="/ui/rollback">'
                f'<input type="hidden" name="csrf" value="{e(viewer.csrf)}">'
                f'<input type="hidden" name="name" value="{e(name)}">'
                f'<input type="hidden" name="tag" value="{e(tag)}">'
                f'<input type="hidden" name="to" value="{e(target)}">'
                '<button type="submit">roll back to this</button></form>'
            )
        rows.append(
            [
                when(move.at),
                e(action_of(move.action, move.to_digest)),
                f"<code>{e((move.from_digest or '-')[:19])}</code>",
                f"<code>{e((target or '-')[:19])}</code>",
                e((move.actor if viewer.sees_identities else None) or "-"),
                action,
            ]
        )
    notice = f'<p class="notice">{e(message)}</p>' if message else ""
    body = (
        notice
        + f"<p>Now: <code>{e(now_at or '(no tag)')}</code></p>"
        + table(["When", "Action", "From", "To", "Who", ""], rows, table_id="history")
    )
    return show(request, viewer, f"{name}:{tag}", body, status=status)


def rollback(chalice_request: Any) -> Response:
    """Move a tag back to a manifest it pointed at, as `berth rollback --to` does (immutable
    tags refused, the move in the tag's history and the audit log, by the viewer)."""
    from chalicelib.api.storage_errors import as_oci_error
    from chalicelib.audit import record
    from chalicelib.oci.digest import parse_digest
    from chalicelib.oci.reference import check_tag
    from chalicelib.storage import tag_rollback
    from chalicelib.storage.errors import StorageError

    request = request_of(chalice_request)
    viewer = _signed_in(request)
    if isinstance(viewer, Response):
        return viewer
    form = _form(request)
    if forged(viewer, form):
        return _error(403, "The form expired; reload the page.", viewer)
    if (standby := standby_refusal(viewer)) is not None:
        return standby
    try:
        name = _repository_name(HttpRequest("GET", "", {"name": [form.get("name", "")]}, {}, b""))
        tag = check_tag(form.get("tag", ""))
        to = parse_digest(form.get("to", ""), what="rollback target")
    except OCIError:
        return _error(400, "not a repository, tag and digest", viewer)
    if not viewer.may(name, "push"):
        return _error(403, f"rolling back needs push on {name}", viewer)
    request.principal = viewer.principal.subject if viewer.principal else "-"
    actor = record.actor(request)
    event = record.event(request, "rollback", repository=name)  # storage adds the move
    try:
        rolled = tag_rollback.rollback(name, tag, to, None if actor == "-" else actor, event)
    except StorageError as error:
        refused = as_oci_error(error)
        return _error(refused.status, refused.message, viewer)
    except OCIError as error:
        return _error(error.status, error.message, viewer)
    target = f"/ui/history?name={quote(name)}&tag={quote(tag)}"
    if rolled.moved:
        target += "&done=1"
    return _redirect(target)


MAX_CONFIG_BYTES = 1024 * 1024


def _command(value: Any) -> str:
    """An entrypoint or command as JSON (exec form is a list); "-" when the image sets none
    (found trying it as a user: the page said `null`)."""
    if value is None or value == []:
        return "-"
    return f"<code>{e(json.dumps(value))}</code>"


def _config_section(name: str, config: Any) -> str:
    """Entry point, environment, labels, created and build history, from the config blob."""
    from chalicelib.config import settings
    from chalicelib.oci.digest import parse_digest
    from chalicelib.storage import aws, blobs

    if not isinstance(config, dict) or int(config.get("size", 0)) > MAX_CONFIG_BYTES:
        return ""
    try:
        digest = parse_digest(str(config.get("digest")))
    except OCIError:
        return ""
    if not blobs.linked(name, [digest]):
        return ""
    try:
        key = blobs.blob_key(digest)
        data = aws.s3().get_object(Bucket=settings().bucket, Key=key)["Body"].read()
        document = json.loads(data)
    except Exception:
        return "<h2>Config</h2><p>unreadable</p>"
    if not isinstance(document, dict):
        return ""
    found = document.get("config")
    inner: dict[str, Any] = found if isinstance(found, dict) else {}
    rows = [
        ["Created", when(document.get("created"))],
        ["Platform", e(f"{document.get('os', '-')}/{document.get('architecture', '-')}")],
        ["Entrypoint", _command(inner.get("Entrypoint"))],
        ["Cmd", _command(inner.get("Cmd"))],
        ["Env", "<br>".join(f"<code>{e(v)}</code>" for v in inner.get("Env") or []) or "-"],
        [
            "Labels",
            "<br>".join(f"{e(k)}={e(v)}" for k, v in (inner.get("Labels") or {}).items()) or "-",
        ],
    ]
    history = [
        [when(h.get("created")), f"<code>{e(h.get('created_by', ''))[:300]}</code>"]
        for h in document.get("history") or []
        if isinstance(h, dict)
    ]
    out = "<h2>Config</h2>" + table(["", ""], rows)
    if history:
        out += "<h2>Build history</h2>" + table(["Created", "Step"], history)
    return out


def login_form(chalice_request: Any, message: str = "", status: int = 200) -> Response:
    token = session.new_csrf()
    request = request_of(chalice_request)
    error = f'<p class="error">{e(message)}</p>' if message else ""
    body = (
        f'{error}<form method="post" action="/ui/login" class="login">'
        f'<input type="hidden" name="csrf" value="{e(token)}">'
        '<label>User or robot$name <input name="username" autocomplete="username" required></label>'
        '<label>Password or secret <input name="password" type="password" '
        'autocomplete="current-password" required></label>'
        '<button type="submit">Sign in</button></form>'
    )
    cookie = session.cookie(session.CSRF_COOKIE, token, request, max_age=900)
    return _html(status, page("Sign in", body), {"Set-Cookie": cookie})


def login(chalice_request: Any) -> Response:
    request = request_of(chalice_request)
    form = _form(request)
    if not session.same(
        form.get("csrf", ""), session.cookies(request).get(session.CSRF_COOKIE, "")
    ):
        return login_form(chalice_request, "The form expired; sign in again.", 403)
    try:
        token = session.sign_in(
            form.get("username", ""), form.get("password", ""), request.source_ip
        )
    except OCIError as error:
        message = (
            "Too many attempts; wait and retry."
            if error.status == 429
            else "Incorrect name or secret."
        )
        return login_form(chalice_request, message, 401 if error.status != 429 else 429)
    cookie = session.cookie(session.SESSION_COOKIE, token, request, max_age=session.SESSION_SECONDS)
    return _redirect("/ui", {"Set-Cookie": cookie})


def logout(chalice_request: Any) -> Response:
    request = request_of(chalice_request)
    viewer = session.viewer(request)
    form = _form(request)
    if viewer is not None and viewer.session:
        if not session.same(form.get("csrf", ""), viewer.csrf):
            return _error(403, "The form expired; reload the page.", viewer)
        session.sign_out(viewer.session)
    cleared = session.cookie(session.SESSION_COOKIE, "", request, max_age=0)
    return _redirect("/ui/login", {"Set-Cookie": cleared})


def static(chalice_request: Any, filename: str) -> Response:
    path = STATIC / filename
    if path.suffix not in STATIC_TYPES or path.parent != STATIC or not path.is_file():
        return Response(body="", status_code=404)
    headers: dict[str, str | list[str]] = {
        "Content-Type": STATIC_TYPES[path.suffix],
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body=path.read_text(), status_code=200, headers=headers)


# The scanner's two CycloneDX referrers share one artifact type; their annotation tells them
# apart (found trying it as a user: the image page listed two alike CycloneDX rows).
_SCAN_KINDS = {"sbom": "SBOM", "vulnerabilities": "vulnerability report"}


def _referrer_kind(descriptor: dict[str, Any]) -> str:
    """What a referrer is, in a word, from its annotations and artifact type."""
    annotations = descriptor.get("annotations") or {}
    scan_kind = annotations.get("dev.berth.scan.kind")
    if scan_kind in _SCAN_KINDS:
        return _SCAN_KINDS[scan_kind]
    artifact = str(descriptor.get("artifactType", ""))
    if "sigstore" in artifact or "notation" in artifact or artifact.endswith("signature"):
        return "signature"
    if "cyclonedx" in artifact or "spdx" in artifact:
        return "SBOM"
    return "-"
