"""Dispatch a /v2 request to the handler of its resource, and turn failures into OCI errors."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, error_response, from_chalice, json_response
from chalicelib.log import log_request, logger
from chalicelib.oci.errors import OCIError
from chalicelib.oci.paths import Resource, parse_path
from chalicelib.oci.reference import check_name

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
    (Resource.SETTINGS, "GET"): "settings.get",
    (Resource.SETTINGS, "PUT"): "settings.put",
    (Resource.REPOSITORIES, "GET"): "repositories.get",
}

# The action (token-scope vocabulary: pull, push, `*` = admin) each Berth extension needs on
# its repository, for access control (issue 3) to enforce in route(); repositories needs
# `registry:catalog:*`. Nothing checks these yet. Settings need admin: a pusher who could
# turn immutability off could overwrite a release.
REQUIRES: dict[tuple[Resource, str], str] = {
    (Resource.HISTORY, "GET"): "pull",
    (Resource.ROLLBACK, "POST"): "push",
    (Resource.SETTINGS, "GET"): "pull",
    (Resource.SETTINGS, "PUT"): "*",
    (Resource.REPOSITORIES, "GET"): "*",
}


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
    return _handler(target)(request, endpoint.name, endpoint.argument)


def dispatch(chalice_request: Any) -> Response:
    """The one entry point of every /v2 route."""
    started = time.perf_counter()
    request = from_chalice(chalice_request)
    head = request.method == "HEAD"
    try:
        response = route(request)
    except OCIError as error:
        response = error_response(error, head=head)
    except Exception as error:  # storage faults: never leak a traceback, let the client retry
        response = _failure(error, head=head)
    log_request(request, response.status_code, time.perf_counter() - started)
    return response


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
