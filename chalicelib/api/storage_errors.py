"""Storage's refusals as the OCI errors a client is told: the one table from domain errors
(chalicelib/storage/errors.py) to codes and statuses, applied by the dispatcher."""

from __future__ import annotations

from chalicelib.api.locations import upload_location
from chalicelib.oci.errors import OCIError, RangeNotSatisfiable
from chalicelib.storage import errors

# Most specific first: the first class an error is an instance of gives its code.
_CODES: list[tuple[type[errors.StorageError], str, int | None]] = [
    (errors.UploadUnknown, "BLOB_UPLOAD_UNKNOWN", None),
    (errors.ManifestNotFound, "MANIFEST_UNKNOWN", None),
    (errors.ReferencesMissing, "MANIFEST_BLOB_UNKNOWN", None),
    (errors.UploadInvalid, "BLOB_UPLOAD_INVALID", None),
    (errors.DigestInvalid, "DIGEST_INVALID", None),
    (errors.SizeInvalid, "SIZE_INVALID", None),
    (errors.ManifestInvalid, "MANIFEST_INVALID", None),
    (errors.TagImmutable, "DENIED", None),
    (errors.Protected, "UNSUPPORTED", 405),
    (errors.NotFound, "NAME_UNKNOWN", None),
    (errors.Invalid, "UNSUPPORTED", 400),
    (errors.Conflict, "UNSUPPORTED", 409),
]


def as_oci_error(error: errors.StorageError) -> OCIError:
    if isinstance(error, errors.UploadOffsetConflict):
        return RangeNotSatisfiable(
            error.message,
            location=upload_location(error.repository, error.upload_id),
            offset=error.offset,
        )
    if isinstance(error, errors.ReferencesMissing) and error.manifests:
        # MANIFEST_BLOB_UNKNOWN is the spec's code for "a manifest or blob unknown"; the
        # second entry names the kind of thing that is missing.
        entry = {"code": "MANIFEST_UNKNOWN", "message": error.message, "detail": error.detail}
        return OCIError("MANIFEST_BLOB_UNKNOWN", error.message, error.detail, also=[entry])
    if isinstance(error, errors.Busy):
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
        return OCIError("UNAVAILABLE", error.message, headers=headers)
    for kind, code, status in _CODES:
        if isinstance(error, kind):
            return OCIError(code, error.message, detail=error.detail, status=status)
    return OCIError("UNAVAILABLE", error.message)
