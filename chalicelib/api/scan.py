"""Berth extension: `/v2/<name>/_berth/scan/<digest or tag>`. GET answers the stored findings
in ECR's DescribeImageScanFindings shape (status NOT_SCANNED when there are none yet), with
`scannedAt` (the stored scan's time, COMPLETE or FAILED). POST queues a scan for the scan
function (chalicelib/scanner/scan_queue.py; the API function's 60 s do not bound it) and
answers 202, status IN_PROGRESS, with the `scannedAt` of the scan it will replace: a client
waits for a GET whose `scannedAt` differs."""

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
        document["scannedAt"] = None
    else:
        report = scan_results.report(stored)
        document = ecr_document(name, str(digest), stored.status, stored.description, report)
        document["scannedAt"] = stored.scanned_at.isoformat()
    return json_response(200, document, head=request.method == "HEAD")


def get(request: HttpRequest, name: str, reference: str) -> Response:
    return _answer(request, name, _digest(name, reference))


def post(request: HttpRequest, name: str, reference: str) -> Response:
    import uuid

    from chalicelib.scanner import scan_queue
    from chalicelib.scanner.on_push import scan_message

    digest = _digest(name, reference)
    stored = scan_results.get(digest)
    scan_queue.send([scan_message(f"asked-{uuid.uuid4().hex}", name, str(digest))])
    document = {
        "repositoryName": name,
        "imageId": {"imageDigest": str(digest)},
        "imageScanStatus": {"status": "IN_PROGRESS", "description": "queued for the scanner"},
        # The scan this one replaces: a GET whose scannedAt differs has the new result.
        "scannedAt": stored.scanned_at.isoformat() if stored is not None else None,
    }
    return json_response(202, document)
