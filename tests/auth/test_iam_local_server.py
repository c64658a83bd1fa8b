"""IAM login against the local server's moto (`berth serve`): moto's server picks a service
from the Authorization header, which a presigned request does not have, so a presigned
GetCallerIdentity (an IAM login password) got S3's bucket list and every IAM login failed
locally. berth.motofix.route_presigned_sts routes it by its credential scope, as AWS routes
by host; the registry's replay then learns the caller's ARN."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from berth.iam_login import login_password
from berth.localserver.backend import MotoBackend
from chalicelib.auth import iam


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    with MotoBackend.start() as backend:
        yield backend.url


def test_a_presigned_get_caller_identity_reaches_sts(moto_server: str) -> None:
    sts = boto3.client(
        "sts",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    password = login_password(sts, "berth-local")
    identity = iam.caller_identity(password, "berth-local", local_endpoint=moto_server)
    assert identity.account == "123456789012"
    assert identity.arn.startswith("arn:aws:sts::123456789012:")
    # Other presigned requests are routed as before: S3's still reach S3.
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="routing-check")
    s3.put_object(Bucket="routing-check", Key="k", Body=b"v")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "routing-check", "Key": "k"})
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.read() == b"v"
