"""A destination's credentials, read at copy time from where the admin keeps them (an SSM
SecureString or a Secrets Manager secret): the table holds only their names."""

from __future__ import annotations

import json

from chalicelib.auth.aws import client
from chalicelib.remote.basic_credentials import Credentials
from chalicelib.replication.destinations import Destination


class SecretError(ValueError):
    pass


def _decode(text: str, where: str) -> Credentials:
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict):
        username, password = document.get("username"), document.get("password")
        if isinstance(username, str) and isinstance(password, str):
            return Credentials(username, password)
        raise SecretError(f"{where} has no string username and password")
    username, colon, password = text.partition(":")
    if not colon or not username:
        raise SecretError(f'{where} holds neither "username:password" nor JSON')
    return Credentials(username, password)


def credentials(destination: Destination) -> Credentials | None:
    if destination.ssm:
        answer = client("ssm").get_parameter(Name=destination.ssm, WithDecryption=True)
        return _decode(str(answer["Parameter"]["Value"]), f"parameter {destination.ssm}")
    if destination.secret:
        answer = client("secretsmanager").get_secret_value(SecretId=destination.secret)
        return _decode(str(answer.get("SecretString") or ""), f"secret {destination.secret}")
    return None
