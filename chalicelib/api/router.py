"""Dispatch a /v2 request to the handler of its resource, and turn failures into OCI errors."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, error_response, from_chalice, json_response
from chalicelib.api.standby import refuse_writes
from chalicelib.api.storage_errors import as_oci_error
from chalicelib.auth.auth_settings import auth_settings
from chalicelib.log import log_request, logger
from chalicelib.oci.errors import OCIError
from chalicelib.oci.paths import Endpoint, Resource, parse_path
from chalicelib.oci.reference import check_name
from chalicelib.storage.errors import StorageError

if TYPE_CHECKING:  # the gate is imported only when auth is on
    from chalicelib.auth.decisions import Access

# Repository names up to MAX_DEPTH - 3 components deep (an upload session URL adds three).
MAX_DEPTH = 16
METHODS = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]

Handler = Callable[[HttpRequest, str, str], Response]


# (resource, method) -> "module.function" under chalicelib.api. Modules are imported on
# first use, so a cold start loads only what its first request needs.
_HANDLERS: dict[tuple[Resource, str], str] = {
    (Resource.BASE, "GET"): "base.get",
    (Resource.BASE, "HEAD"): "base.get",
    (Resource.CATALOG, "GET"): "catalog.get",
    (Resource.TAGS, "GET"): "tags.get",
    (Resource.MANIFEST, "GET"): "manifests.get",
    (Resource.MANIFEST, "HEAD"): "manifests.get",
    (Resource.MANIFEST, "PUT"): "manifests.put",
    (Resource.MANIFEST, "DELETE"): "manifests.delete",
    (Resource.BLOB, "GET"): "blobs.get",
    (Resource.BLOB, "HEAD"): "blobs.get",
    (Resource.BLOB, "DELETE"): "blobs.delete",
    (Resource.UPLOADS, "POST"): "uploads.start",
    (Resource.UPLOAD, "GET"): "uploads.status",
    (Resource.UPLOAD, "PATCH"): "uploads.patch",
    (Resource.UPLOAD, "PUT"): "uploads.finish",
    (Resource.UPLOAD, "DELETE"): "uploads.cancel",
    (Resource.REFERRERS, "GET"): "referrers.get",
    (Resource.HISTORY, "GET"): "history.get",
    (Resource.ROLLBACK, "POST"): "history.rollback",
    (Resource.SETTINGS, "GET"): "repo_settings.get",
    (Resource.SETTINGS, "PUT"): "repo_settings.put",
    (Resource.TAG_DETAILS, "GET"): "tag_details.get",
    (Resource.REPOSITORIES, "GET"): "repositories.get",
    (Resource.GC, "POST"): "gc.post",
    (Resource.S3_UPLOADS, "GET"): "s3_uploads.describe",
    (Resource.S3_UPLOADS, "POST"): "s3_uploads.start",
    (Resource.S3_UPLOAD, "GET"): "s3_uploads.status",
    (Resource.S3_UPLOAD, "POST"): "s3_uploads.complete",
    (Resource.S3_UPLOAD, "DELETE"): "s3_uploads.cancel",
    (Resource.S3_PARTS, "POST"): "s3_uploads.parts",
    (Resource.ADMIN, "GET"): "admin.handle",
    (Resource.ADMIN, "POST"): "admin.handle",
    (Resource.ADMIN, "PUT"): "admin.handle",
    (Resource.ADMIN, "DELETE"): "admin.handle",
    (Resource.AUDIT, "GET"): "audit.get",
    (Resource.LIFECYCLE, "GET"): "lifecycle.get",
    (Resource.LIFECYCLE, "PUT"): "lifecycle.put",
    (Resource.LIFECYCLE, "POST"): "lifecycle.run",
    (Resource.LIFECYCLE_ALL, "POST"): "lifecycle.run_all",
    (Resource.WEBHOOKS, "GET"): "webhooks.handle",
    (Resource.WEBHOOKS, "POST"): "webhooks.handle",
    (Resource.WEBHOOKS, "DELETE"): "webhooks.handle",
    (Resource.TRIGGERS, "GET"): "triggers.handle",
    (Resource.TRIGGERS, "POST"): "triggers.handle",
    (Resource.TRIGGERS, "DELETE"): "triggers.handle",
    (Resource.SIGNING_POLICY, "GET"): "signing.get_policy",
    (Resource.SIGNING_POLICY, "PUT"): "signing.put_policy",
    (Resource.SIGNATURES, "GET"): "signing.status",
    (Resource.SCAN, "GET"): "scan.get",
    (Resource.SCAN, "POST"): "scan.post",
    (Resource.VULNDB, "GET"): "vulndb.get",
    (Resource.VULNDB, "POST"): "vulndb.post",
    (Resource.REPLICATION, "GET"): "replication.handle",
    (Resource.REPLICATION, "POST"): "replication.handle",
    (Resource.REPLICATION, "DELETE"): "replication.handle",
    (Resource.SCAN_POLICY, "GET"): "scan_policy.get",
    (Resource.SCAN_POLICY, "HEAD"): "scan_policy.get",
    (Resource.SCAN_POLICY, "PUT"): "scan_policy.put",
    (Resource.VULNDB_SYNC, "POST"): "vulndb_sync.post",
    (Resource.CACHE, "GET"): "cache.handle",
    (Resource.CACHE, "POST"): "cache.handle",
    (Resource.CACHE, "DELETE"): "cache.handle",
}

# The action (token-scope vocabulary: pull, push, `*` = admin) each Berth extension needs on
# its repository, enforced in route() when auth is on. Settings need admin: a pusher who
# could turn immutability off could overwrite a release. `_berth/repositories` needs
# `registry:catalog:*` and, like `_catalog`, lists only what the caller may pull.
REQUIRES: dict[tuple[Resource, str], str] = {
    (Resource.HISTORY, "GET"): "pull",
    (Resource.ROLLBACK, "POST"): "push",
    (Resource.SETTINGS, "GET"): "pull",
    (Resource.SETTINGS, "PUT"): "*",
    # Direct-to-S3 uploads hand out URLs that write into the bucket: push, every one of them.
    (Resource.S3_UPLOADS, "GET"): "push",
    (Resource.S3_UPLOADS, "POST"): "push",
    (Resource.S3_UPLOAD, "GET"): "push",
    (Resource.S3_UPLOAD, "POST"): "push",
    (Resource.S3_UPLOAD, "DELETE"): "push",
    (Resource.S3_PARTS, "POST"): "push",
    # A policy deletes images, so setting or running one is admin; reading it is pull.
    (Resource.LIFECYCLE, "GET"): "pull",
    (Resource.LIFECYCLE, "PUT"): "*",
    (Resource.LIFECYCLE, "POST"): "*",
    # Reading findings is reading the image; a scan now costs a function's time: push.
    (Resource.SCAN, "GET"): "pull",
    (Resource.SCAN, "POST"): "push",
    # Who may pull a vulnerable image is the repository admins' call, as its other rules are.
    (Resource.SCAN_POLICY, "GET"): "pull",
    (Resource.SCAN_POLICY, "HEAD"): "pull",
    (Resource.SCAN_POLICY, "PUT"): "*",
}

# Registry-wide routes that need registry administration (`registry:admin:*`, held by admins
# on `*`; see `permissions.is_admin`), not a scope on some repository: GC deletes unreferenced
# blobs of every repository, the admin API changes who may do what. The audit log needs it
# too, except a query by `repository`, which that repository's admins may read.
_REGISTRY_ADMIN = (
    Resource.GC,
    Resource.ADMIN,
    Resource.AUDIT,
    Resource.LIFECYCLE_ALL,
    Resource.WEBHOOKS,
    Resource.TRIGGERS,
    Resource.SIGNING_POLICY,
    Resource.VULNDB,
    Resource.REPLICATION,
    Resource.VULNDB_SYNC,
    Resource.CACHE,
)

# The repository action of every other route, by method; upload sessions are all push.
_METHOD_ACTION = {
    "GET": "pull",
    "HEAD": "pull",
    "PUT": "push",
    "POST": "push",
    "PATCH": "push",
    "DELETE": "delete",
}
_LISTINGS = (Resource.CATALOG, Resource.REPOSITORIES)
# What writes content into a repository: refused in pull-through caches (chalicelib/cache/).
_PUSHES = {
    (Resource.MANIFEST, "PUT"),
    (Resource.UPLOADS, "POST"),
    (Resource.UPLOAD, "PATCH"),
    (Resource.UPLOAD, "PUT"),
    (Resource.S3_UPLOADS, "POST"),
    (Resource.S3_UPLOAD, "POST"),
    (Resource.S3_PARTS, "POST"),
    (Resource.ROLLBACK, "POST"),
}


def required_action(resource: Resource, method: str) -> str | None:
    """The repository action a route needs (None: `/v2/`, the registry-wide listings and the
    registry-admin routes)."""
    if resource is Resource.BASE or resource in _LISTINGS or resource in _REGISTRY_ADMIN:
        return None
    if resource in (Resource.UPLOADS, Resource.UPLOAD):
        return "push"
    return REQUIRES.get((resource, method)) or _METHOD_ACTION[method]


def _handler(target: str) -> Handler:
    module, _, function = target.partition(".")
    handler: Handler = getattr(importlib.import_module(f"chalicelib.api.{module}"), function)
    return handler


def route(request: HttpRequest) -> Response:
    endpoint = parse_path(request.path)
    if endpoint is None:
        raise OCIError("UNSUPPORTED", f"no endpoint at {request.path[:300]}", status=404)
    target = _HANDLERS.get((endpoint.resource, request.method))
    if target is None:
        allowed = sorted(m for (r, m) in _HANDLERS if r is endpoint.resource)
        raise OCIError(
            "UNSUPPORTED",
            f"{request.method} is not allowed here; allowed: {', '.join(allowed)}",
            status=405,
            headers={"Allow": ", ".join(allowed)},
        )
    if endpoint.name:
        check_name(endpoint.name)
    refuse_writes(request.method)
    if auth_settings().enabled:
        from chalicelib.audit.record import set_origin

        set_origin(request)
        _authorize(request, endpoint)
    if (endpoint.resource, request.method) in _PUSHES:
        from chalicelib.cache.pull_through import refuse_push

        refuse_push(endpoint.name)
    return _handler(target)(request, endpoint.name, endpoint.argument)


def _authorize(request: HttpRequest, endpoint: Endpoint) -> None:
    """Let the request through, or raise 401 (with the Bearer challenge) / 403 DENIED."""
    from chalicelib.auth import gate
    from chalicelib.auth.scope import ResourceScope

    action = required_action(endpoint.resource, request.method)
    if action is not None:
        wanted = [ResourceScope("repository", endpoint.name, (action,))]
    elif endpoint.resource in _LISTINGS:
        wanted = [gate.CATALOG]
    elif endpoint.resource in _REGISTRY_ADMIN:
        wanted = [_admin_scope(request, endpoint)]
    else:
        wanted = []
    access = gate.authorize(
        request.headers,
        request.source_ip,
        wanted,
        realm=gate.realm_of(request.headers, request.base_path),
        authenticated=endpoint.resource is Resource.BASE,
    )
    request.access = access
    request.principal = access.subject
    if endpoint.resource is Resource.UPLOADS and request.arg("mount") is not None:
        source = request.arg("from")
        if source and not _may_mount_from(access, source):
            # Not allowed to read the source: open a session instead, as if the blob were
            # not there, so the answer says nothing about another repository's content.
            request.query.pop("mount", None)
            request.query.pop("from", None)


def _admin_scope(request: HttpRequest, endpoint: Endpoint) -> Any:
    """`registry:admin:*`, or `repository:<r>:*` for the audit of one repository."""
    from chalicelib.auth.permissions import REGISTRY_ADMIN
    from chalicelib.auth.scope import ResourceScope

    repository = request.arg("repository") if endpoint.resource is Resource.AUDIT else None
    if repository and request.arg("principal") is None and request.arg("all") is None:
        check_name(repository)
        return ResourceScope("repository", repository, ("*",))
    return REGISTRY_ADMIN


def _may_mount_from(access: Access, source: str) -> bool:
    from chalicelib.auth.scope import ResourceScope, ScopeError, parse_scope

    try:
        scope = parse_scope(f"repository:{source}:pull")
    except ScopeError:
        return True  # not a name: the handler refuses it (NAME_INVALID) as it always has
    return access.may(ResourceScope(scope.type, scope.name, ("pull",)))


def dispatch(chalice_request: Any) -> Response:
    """The one entry point of every /v2 route behind Chalice (API Gateway, the test client)."""
    started = time.perf_counter()
    return serve(from_chalice(chalice_request), started)


def serve(request: HttpRequest, started: float | None = None) -> Response:
    """Answer a parsed /v2 request, whichever door it came through; every failure becomes an
    OCI error, and every request one log line."""
    started = time.perf_counter() if started is None else started
    head = request.method == "HEAD"
    try:
        response = route(request)
    except (OCIError, StorageError) as raised:
        error = raised if isinstance(raised, OCIError) else as_oci_error(raised)
        response = error_response(error, head=head)
        if error.status in (401, 403) and auth_settings().enabled:
            _audit_denial(request, error)
    except Exception as error:  # storage faults: never leak a traceback, let the client retry
        response = _failure(error, head=head)
    log_request(request, response.status_code, time.perf_counter() - started)
    return response


def _audit_denial(request: HttpRequest, error: OCIError) -> None:
    """Record a refusal in the audit log (bounded; see chalicelib/audit/throttle.py)."""
    from chalicelib.audit import record

    endpoint = parse_path(request.path)
    record.denied(request, error, endpoint.name if endpoint is not None else None)


def _failure(error: Exception, *, head: bool) -> Response:
    if _is_aws_fault(error):
        logger.warning("storage fault", exc_info=error)
        return error_response(OCIError("UNAVAILABLE", "storage is unavailable; retry"), head=head)
    logger.error("unhandled error", exc_info=error)
    return json_response(
        500,
        {"errors": [{"code": "UNKNOWN", "message": "internal error; it has been logged"}]},
        head=head,
    )


def _is_aws_fault(error: Exception) -> bool:
    module = type(error).__module__
    return module.startswith(("botocore", "pynamodb", "urllib3"))
