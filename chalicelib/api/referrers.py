"""`/v2/<name>/referrers/<digest>`: an image index of the manifests whose subject is <digest>.
Never 404: an unknown subject or repository has no referrers."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_response
from chalicelib.api.pagination import next_link
from chalicelib.oci import media_types as mt
from chalicelib.oci.digest import parse_digest
from chalicelib.storage import referrers

PAGE = 500


def get(request: HttpRequest, name: str, reference: str) -> Response:
    subject = parse_digest(reference)
    artifact_type = request.arg("artifactType") or None
    after = request.arg("next") or None
    if after is not None:
        after = str(parse_digest(after, what="next"))
    found, cursor = referrers.descriptors(name, subject, after, PAGE, artifact_type)
    headers = {"Content-Type": mt.OCI_INDEX}
    if artifact_type:
        headers["OCI-Filters-Applied"] = "artifactType"
    if cursor:
        params = {"next": cursor, **({"artifactType": artifact_type} if artifact_type else {})}
        headers.update(next_link(f"/v2/{name}/referrers/{subject}", **params))
    index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": found}
    return json_response(200, index, headers)
