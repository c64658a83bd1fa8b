"""Berth extension: `/v2/<name>/_berth/scan/<digest or tag>`. GET answers the stored findings
in ECR's DescribeImageScanFindings shape (status NOT_SCANNED when there are none yet); POST
scans the image now and answers the same document."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.oci.digest import Digest, parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import check_tag
from chalicelib.storage import manifests, scan_results


def _digest(name: str, reference: str) -> Digest:
    if ":" in reference:
        digest = parse_digest(reference)
        if manifests.by_digest(name, digest) is None:
            raise OCIError("MANIFEST_UNKNOWN", f"{name}@{digest} is not known")
        return digest
    stored = manifests.by_tag(name, check_tag(reference))
    if stored is None:
        raise OCIError("MANIFEST_UNKNOWN", f"{name}:{reference} is not known")
    return stored.digest


def _answer(request: HttpRequest, name: str, digest: Digest) -> Response:
    from chalicelib.scanning.report import ecr_document

    stored = scan_results.get(digest)
    if stored is None:
        document = ecr_document(name, str(digest), "NOT_SCANNED", "no scan has run yet", None)
    else:
        report = scan_results.report(stored)
        document = ecr_document(name, str(digest), stored.status, stored.description, report)
    return json_response(200, document, head=request.method == "HEAD")


def get(request: HttpRequest, name: str, reference: str) -> Response:
    return _answer(request, name, _digest(name, reference))


def post(request: HttpRequest, name: str, reference: str) -> Response:
    from chalicelib.scanner.run import scan_or_record_failure

    digest = _digest(name, reference)
    scan_or_record_failure(name, str(digest))
    return _answer(request, name, digest)
