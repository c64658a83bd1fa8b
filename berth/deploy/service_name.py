"""The registry's service name: the token `aud`, the challenge's `service`, and the value an
IAM login password signs (`x-berth-service`, chalicelib/auth/iam.py).

It must differ between registries, or a password or token made for one is accepted by
another (issue 11, D6: every stage used to be `berth`). Unique per stage, account and
region, without putting the account id in every challenge: a digest of the three."""

from __future__ import annotations

import hashlib


def service_name(stage: str, account: str, region: str) -> str:
    digest = hashlib.sha256(f"{account}/{region}/{stage}".encode()).hexdigest()[:12]
    return f"berth-{stage}-{digest}"
