"""The standard distribution API calls a push makes, for one repository (OCI distribution-spec:
blob HEAD, cross-repository mount, upload sessions, manifest PUT)."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from berth.push.content import Manifest
from berth.push.errors import ExitCode, PushError
from berth.push.http import Body, Response, Session, error_of

_RANGE = re.compile(r"^(?:bytes[ =])?0-(\d+)$")


@dataclass(frozen=True, slots=True)
class UploadSession:
    """An open upload: where to send bytes next, and the chunk size the registry asks for."""

    location: str
    chunk_min: int | None


class Registry:
    def __init__(self, session: Session, repository: str) -> None:
        self.session = session
        self.repository = repository
        self._prefix = f"/v2/{repository}"

    def has_blob(self, digest: str) -> bool:
        response = self.session.request("HEAD", f"{self._prefix}/blobs/{digest}")
        if response.status in (200, 307):
            return True
        if response.status == 404:
            return False
        raise error_of(response, f"HEAD blob {digest}")

    def has_manifest(self, digest: str) -> bool:
        response = self.session.request("HEAD", f"{self._prefix}/manifests/{digest}")
        if response.status in (200, 307):
            return True
        if response.status == 404:
            return False
        raise error_of(response, f"HEAD manifest {digest}")

    def mount(self, digest: str, source: str) -> UploadSession | None:
        """Mount `digest` from repository `source`: None if mounted, else the session the
        registry opened instead (it may not have the blob there, or not allow it)."""
        query = urllib.parse.urlencode({"mount": digest, "from": source})
        response = self.session.request("POST", f"{self._prefix}/blobs/uploads/?{query}")
        if response.status == 201:
            return None
        return self._opened(response, f"mount {digest} from {source}")

    def open_session(self) -> UploadSession:
        response = self.session.request("POST", f"{self._prefix}/blobs/uploads/")
        return self._opened(response, "open upload session")

    def _opened(self, response: Response, what: str) -> UploadSession:
        location = response.header("location")
        if response.status != 202 or not location:
            raise error_of(response, what)
        minimum = response.header("oci-chunk-min-length")
        chunk_min = int(minimum) if minimum and minimum.isdigit() else None
        return UploadSession(self.session.url(location), chunk_min)

    def offset(self, location: str) -> int | None:
        """How many bytes the session at `location` holds; None if it is gone."""
        response = self.session.request("GET", location)
        if response.status in (404, 400):
            return None
        if response.status != 204:
            raise error_of(response, "upload status")
        return _end(response)

    def cancel(self, location: str) -> None:
        self.session.request("DELETE", location)

    def patch(self, location: str, data: bytes, start: int) -> tuple[str, int]:
        """Append `data` at `start`; the next location and the offset the registry confirms."""
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{start}-{start + len(data) - 1}",
        }
        response = self.session.request("PATCH", location, body=data, headers=headers)
        if response.status != 202:
            raise error_of(response, f"PATCH bytes {start}-{start + len(data) - 1}")
        return self.session.url(response.header("location") or location), _end(response)

    def finish(
        self,
        location: str,
        digest: str,
        body: Body = None,
        length: int = 0,
        start: int | None = None,
    ) -> None:
        """Close the session with ?digest= (and its last bytes, if `body`)."""
        separator = "&" if "?" in location else "?"
        target = f"{location}{separator}{urllib.parse.urlencode({'digest': digest})}"
        headers = {"Content-Type": "application/octet-stream"}
        if body is not None and start is not None and length:
            headers["Content-Range"] = f"{start}-{start + length - 1}"
        response = self.session.request("PUT", target, body=body, headers=headers, length=length)
        if response.status != 201:
            raise error_of(response, f"complete upload of {digest}")

    def put_manifest(self, manifest: Manifest, reference: str) -> None:
        headers = {"Content-Type": manifest.media_type}
        response = self.session.request(
            "PUT", f"{self._prefix}/manifests/{reference}", body=manifest.data, headers=headers
        )
        if response.status not in (200, 201):
            raise error_of(response, f"PUT manifest {reference}")
        answered = response.header("docker-content-digest")
        if answered and answered != manifest.digest:
            raise PushError(
                ExitCode.REFUSED,
                f"PUT manifest {reference}: registry stored {answered}, not {manifest.digest}",
            )


def _end(response: Response) -> int:
    """The offset after the bytes a `Range: 0-N` header confirms (0 when there is none)."""
    value = (response.header("range") or "").strip()
    match = _RANGE.match(value)
    return int(match.group(1)) + 1 if match else 0
