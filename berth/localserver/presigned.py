"""Check a SigV4 presigned S3 request as S3 does: signature, credential scope and expiry.

moto accepts any presigned URL, even one past its `X-Amz-Expires`; the local server's S3 front
(`s3front`) runs this check first, so a leaked or stale URL fails locally as it would in AWS.
Pure: the caller passes the secret key and the time.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

ALGORITHM = "AWS4-HMAC-SHA256"
# S3 refuses an X-Amz-Expires over seven days.
MAX_EXPIRES = 7 * 24 * 3600
# ...and a request dated too far in the future.
MAX_CLOCK_SKEW = timedelta(minutes=15)


class PresignError(Exception):
    """The request is not a valid, live presigned request; `code` is S3's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Presigned:
    """The signing parameters of a presigned request, taken from its query."""

    access_key: str
    scope_date: str
    region: str
    service: str
    signed_at: datetime
    expires_in: int
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def expires_at(self) -> datetime:
        return self.signed_at + timedelta(seconds=self.expires_in)


def _param(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if value is None:
        raise PresignError("AccessDenied", f"query parameter {name} is missing")
    return value


def parse(query: str) -> Presigned:
    """The signing parameters in `query`, or PresignError if it is not a SigV4 presigned query."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    if _param(params, "X-Amz-Algorithm") != ALGORITHM:
        raise PresignError("AuthorizationQueryParametersError", "only AWS4-HMAC-SHA256 is valid")
    credential = _param(params, "X-Amz-Credential").split("/")
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise PresignError("AuthorizationQueryParametersError", "malformed X-Amz-Credential")
    try:
        signed_at = datetime.strptime(_param(params, "X-Amz-Date"), "%Y%m%dT%H%M%SZ")
        expires_in = int(_param(params, "X-Amz-Expires"))
    except ValueError:
        raise PresignError(
            "AuthorizationQueryParametersError", "malformed X-Amz-Date or X-Amz-Expires"
        ) from None
    if not 0 < expires_in <= MAX_EXPIRES:
        raise PresignError(
            "AuthorizationQueryParametersError", f"X-Amz-Expires must be 1..{MAX_EXPIRES}"
        )
    if credential[1] != signed_at.strftime("%Y%m%d"):
        raise PresignError("AuthorizationQueryParametersError", "credential date != X-Amz-Date")
    headers = tuple(_param(params, "X-Amz-SignedHeaders").split(";"))
    if "host" not in headers:
        raise PresignError("AuthorizationQueryParametersError", "host must be a signed header")
    return Presigned(
        access_key=credential[0],
        scope_date=credential[1],
        region=credential[2],
        service=credential[3],
        signed_at=signed_at.replace(tzinfo=UTC),
        expires_in=expires_in,
        signed_headers=headers,
        signature=_param(params, "X-Amz-Signature"),
    )


def _canonical_query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "X-Amz-Signature"]
    encoded = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def canonical_request(
    method: str, path: str, query: str, headers: dict[str, str], signed: tuple[str, ...]
) -> str:
    """SigV4's canonical request of a presigned S3 request (`path` as sent, percent-encoded)."""
    lines = "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed)
    return "\n".join(
        [method, path or "/", _canonical_query(query), lines, ";".join(signed), "UNSIGNED-PAYLOAD"]
    )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature(secret_key: str, presigned: Presigned, canonical: str) -> str:
    """The signature SigV4 gives `canonical` under `presigned`'s scope and `secret_key`."""
    scope = f"{presigned.scope_date}/{presigned.region}/{presigned.service}/aws4_request"
    to_sign = "\n".join(
        [
            ALGORITHM,
            presigned.signed_at.strftime("%Y%m%dT%H%M%SZ"),
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = _hmac(f"AWS4{secret_key}".encode(), presigned.scope_date)
    for part in (presigned.region, presigned.service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def unsigned_amz_headers(headers: dict[str, str], signed: tuple[str, ...]) -> list[str]:
    """The `x-amz-*` headers (keyed in lower case) that `signed` leaves out, sorted."""
    return sorted(n for n in headers if n.startswith("x-amz-") and n not in signed)


def verify(
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    *,
    access_key: str,
    secret_key: str,
    now: datetime,
) -> Presigned:
    """Check a presigned request (headers keyed in lower case); PresignError says what failed.

    Checked in S3's order: well-formed, known key, signature, then time, so an expired URL
    with a valid signature says "expired" and a tampered one never learns whether it was.
    An `x-amz-*` header the URL does not sign is refused (as S3 does): such headers change
    what S3 does (`x-amz-copy-source` turns an upload into a server-side copy of any object).
    """
    presigned = parse(query)
    if presigned.service != "s3":
        raise PresignError("AuthorizationQueryParametersError", "credential is not for s3")
    if presigned.access_key != access_key:
        raise PresignError("InvalidAccessKeyId", "the access key is not known")
    unsigned = unsigned_amz_headers(headers, presigned.signed_headers)
    if unsigned:
        raise PresignError(
            "AccessDenied",
            "There were headers present in the request which were not signed: "
            + ", ".join(name[:60] for name in unsigned[:8]),
        )
    canonical = canonical_request(method, path, query, headers, presigned.signed_headers)
    expected = signature(secret_key, presigned, canonical)
    if not hmac.compare_digest(expected, presigned.signature):
        raise PresignError("SignatureDoesNotMatch", "the signature does not match")
    if now >= presigned.expires_at:
        raise PresignError("AccessDenied", "Request has expired")
    if presigned.signed_at - now > MAX_CLOCK_SKEW:
        raise PresignError("AccessDenied", "Request is not valid yet")
    return presigned
