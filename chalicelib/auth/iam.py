"""AWS IAM login: the password is a presigned `sts:GetCallerIdentity` request.

The client (`berth.iam_login.login_password`) presigns GetCallerIdentity with
its own AWS credentials, as `aws-iam-authenticator` does for Kubernetes, and signs one extra
header, `x-berth-service: <service>`, so a password made for one registry is refused by
another (STS checks the signature over the header value the registry sends back). The password
is `berth-iam-v1.` + base64url(URL). The registry replays the request to STS and learns the
caller's ARN; no secret is stored anywhere.

The URL comes from the caller, so before anything is sent it must be exactly a presigned
GetCallerIdentity at an STS endpoint (no SSRF): https, host `sts[-fips].<region>.amazonaws.com`,
`sts.amazonaws.com` or the `.amazonaws.com.cn` forms (or the operator's own endpoint,
`AWS_ENDPOINT_URL`, for the local server), path `/`, no user info, port or fragment, and
only the query parameters of such a request, each once. Its age is checked HERE, from
`X-Amz-Date` and `X-Amz-Expires` (at most 15 minutes), not left to STS: moto checks neither.
The reply is read with redirects off and a short timeout.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

PASSWORD_PREFIX = "berth-iam-v1."
SERVICE_HEADER = "x-berth-service"
MAX_AGE = 900
CLOCK_SKEW = 60
MAX_PASSWORD_LENGTH = 8192
_HOST = re.compile(
    r"sts(?:-fips)?(?:\.[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9])?\.amazonaws\.com(?:\.cn)?"
)
_REQUIRED = {
    "Action",
    "Version",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
}
_OPTIONAL = {"X-Amz-Security-Token"}
_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:(?:iam|sts)::[0-9]{12}:[\x21-\x7e]{1,1024}")
_ARN_PATTERN = re.compile(
    r"arn:(?:aws|aws-cn|aws-us-gov|\*):(?:iam|sts|\*)::(?:[0-9]{12}|\*):[\x21-\x7e]{1,1024}"
)


class IamError(Exception):
    """The IAM password is malformed, expired, not for STS, or STS refused it.

    `reason` is safe to log: it never holds the URL, its signature or its session token."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    arn: str
    account: str
    user_id: str

    @property
    def canonical_arn(self) -> str:
        return canonical_arn(self.arn)


def is_iam_password(password: str) -> bool:
    return isinstance(password, str) and password.startswith(PASSWORD_PREFIX)


def encode_password(url: str) -> str:
    return PASSWORD_PREFIX + base64.urlsafe_b64encode(url.encode("utf-8")).rstrip(b"=").decode()


def decode_password(password: str) -> str:
    if not is_iam_password(password) or len(password) > MAX_PASSWORD_LENGTH:
        raise IamError("not an IAM login password")
    body = password[len(PASSWORD_PREFIX) :]
    if re.fullmatch(r"[A-Za-z0-9_-]+", body) is None:
        raise IamError("IAM login password is not base64url")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise IamError("IAM login password is not base64url of a URL") from None


def check_url(url: str, *, now: float, local_endpoint: str | None = None) -> None:
    """Raise IamError unless `url` is a live presigned GetCallerIdentity at an STS endpoint."""
    if any(c in url for c in "\r\n\t \\") or not url.isprintable():
        raise IamError("URL holds whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise IamError("URL does not parse") from None
    local = None
    if local_endpoint:
        local = urlsplit(local_endpoint)
    is_local = local is not None and (parts.scheme, parts.netloc) == (local.scheme, local.netloc)
    if not is_local:
        if parts.scheme != "https":
            raise IamError("URL is not https")
        if parts.username or parts.password or port is not None:
            raise IamError("URL has user info or a port")
        if _HOST.fullmatch(parts.hostname or "") is None or parts.netloc != parts.hostname:
            raise IamError("URL is not at an STS endpoint")
    if parts.path not in ("", "/") or parts.fragment:
        raise IamError("URL path is not /")
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise IamError("URL query does not parse") from None
    query: dict[str, str] = {}
    for key, value in pairs:
        if key in query:
            raise IamError("URL query repeats a parameter")
        query[key] = value
    keys = set(query)
    if not keys >= _REQUIRED or keys - _REQUIRED - _OPTIONAL:
        raise IamError("URL is not a presigned STS request")
    if query["Action"] != "GetCallerIdentity" or query["Version"] != "2011-06-15":
        raise IamError("URL is not sts:GetCallerIdentity")
    if query["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        raise IamError("URL is not signed with SigV4")
    credential = query["X-Amz-Credential"].split("/")
    if len(credential) != 5 or credential[3] != "sts" or credential[4] != "aws4_request":
        raise IamError("URL is not signed for STS")
    signed = query["X-Amz-SignedHeaders"].split(";")
    if SERVICE_HEADER not in signed or not set(signed) <= {"host", SERVICE_HEADER}:
        raise IamError(f"URL does not sign {SERVICE_HEADER}")
    try:
        signed_at = calendar.timegm(time.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
        expires = int(query["X-Amz-Expires"])
    except ValueError:
        raise IamError("URL has a bad X-Amz-Date or X-Amz-Expires") from None
    if not 1 <= expires <= MAX_AGE:
        raise IamError(f"URL lives longer than {MAX_AGE} s")
    if now < signed_at - CLOCK_SKEW:
        raise IamError("URL is signed in the future")
    if now > signed_at + expires:
        raise IamError("URL has expired")


# (url, headers) -> (status, body); tests and the local server may pass their own.
Transport = Callable[[str, dict[str, str]], tuple[int, bytes]]


def _send(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """GET through botocore's HTTP layer: its `before-send` hook lets an in-process mock
    (moto's `mock_aws`) answer, exactly as it answers the registry's own AWS calls."""
    from botocore.awsrequest import AWSRequest
    from botocore.httpsession import URLLib3Session

    from chalicelib.auth.aws import client

    request = AWSRequest(method="GET", url=url, headers=headers).prepare()
    for _handler, response in client("sts").meta.events.emit(
        "before-send.sts.GetCallerIdentity", request=request
    ):
        if response is not None:
            return int(response.status_code), bytes(response.content)
    response = URLLib3Session(timeout=5).send(request)  # no redirects, no retries
    return int(response.status_code), bytes(response.content)


def _parse_identity(body: bytes) -> CallerIdentity:
    text = body.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        result = data["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
        return CallerIdentity(result["Arn"], result["Account"], result["UserId"])
    from xml.etree import ElementTree

    root = ElementTree.fromstring(text)

    def find(tag: str) -> str:
        for element in root.iter():
            if element.tag.rsplit("}", 1)[-1] == tag and element.text:
                return element.text.strip()
        raise KeyError(tag)

    return CallerIdentity(find("Arn"), find("Account"), find("UserId"))


def caller_identity(
    password: str,
    service: str,
    *,
    now: float | None = None,
    local_endpoint: str | None = None,
    transport: Transport | None = None,
) -> CallerIdentity:
    """Who signed this IAM login password (STS's answer), or IamError."""
    url = decode_password(password)
    check_url(url, now=time.time() if now is None else now, local_endpoint=local_endpoint)
    headers = {SERVICE_HEADER: service, "Accept": "application/json"}
    try:
        status, body = (transport or _send)(url, headers)
    except Exception as error:
        raise IamError(f"STS could not be reached ({type(error).__name__})") from None
    if status != 200:
        raise IamError(f"STS refused the request (HTTP {status})")
    try:
        identity = _parse_identity(body[:65536])
    except Exception:
        raise IamError("STS answered something that is not GetCallerIdentity") from None
    if _ARN.fullmatch(identity.arn) is None:
        raise IamError("STS answered an ARN Berth does not understand")
    return identity


# --- mapping ARNs ----------------------------------------------------------------------------


def canonical_arn(arn: str) -> str:
    """`arn:aws:sts::1:assumed-role/Role/session` -> `arn:aws:iam::1:role/Role`; others as is.

    A role's path is not in the assumed-role ARN, so mappings name roles without a path."""
    match = re.fullmatch(r"arn:([a-z-]+):sts::([0-9]{12}):assumed-role/([^/]+)/[^/]+", arn)
    if match is None:
        return arn
    partition, account, role = match.groups()
    return f"arn:{partition}:iam::{account}:role/{role}"


def check_arn_pattern(pattern: str) -> str:
    if not isinstance(pattern, str) or _ARN_PATTERN.fullmatch(pattern) is None:
        raise ValueError(
            "an ARN pattern is arn:<partition>:iam|sts::<account>:<resource>, with * wildcards"
        )
    return pattern


def arn_matches(pattern: str, arn: str) -> bool:
    """`*` matches any run of characters (slashes included); nothing else is special."""
    regex = ".*".join(re.escape(piece) for piece in pattern.split("*"))
    return re.fullmatch(regex, arn) is not None


def matching_mappings(arn: str, mappings: dict[str, str]) -> list[str]:
    """Names of the mappings (name -> ARN pattern) whose pattern matches the caller's ARN,
    as STS gave it or in its canonical role form."""
    candidates = {arn, canonical_arn(arn)}
    return sorted(
        name
        for name, pattern in mappings.items()
        if any(arn_matches(pattern, candidate) for candidate in candidates)
    )
