"""IAM principals through the gate: a presigned sts:GetCallerIdentity as the password (moto's
STS), with and without a mapping that grants access."""

from __future__ import annotations

import json
from typing import Any

import boto3

from berth.iam_login import login_password
from chalicelib.auth.permissions import Level
from tests.auth.gate_support import Caller, basic, bearer, token, unique


def test_iam_principal_with_and_without_a_grant(client: Any, auth_on: None) -> None:
    from chalicelib.auth import principals

    repo, other = f"{unique('iam')}/app", f"{unique('iam')}/other"
    password = login_password(boto3.client("sts", region_name="us-east-1"), "berth")
    credentials = basic("aws", password)
    # No mapping matches the caller yet: the login fails.
    assert client.http.get("/v2/", headers=credentials).status_code == 401
    mapping = unique("m")
    principals.create_iam_mapping(mapping, "arn:aws:*::123456789012:*")
    principals.grant("iam", mapping, repo, Level.PUSH)
    try:
        path = f"/v2/{repo}/blobs/uploads/"
        assert client.http.post(path, headers=credentials).status_code == 202
        assert client.http.post(f"/v2/{other}/blobs/uploads/", headers=credentials).status_code == (
            403
        )
        response = token(
            client, Caller("iam", "aws", password), [f"repository:{repo}:pull,push,delete"]
        )
        assert response.status_code == 200
        answer = json.loads(response.body)
        assert answer["scope"] == f"repository:{repo}:pull,push"
        assert client.http.post(path, headers=bearer(answer["token"])).status_code == 202
    finally:
        principals.delete("iam", mapping)
