"""`berth keys rotate`: a new token-signing key for a stage, the old one kept for verification.

The runtime signs with the key `alias/berth-<stage>-token` names and accepts tokens of that
key and of the one `alias/berth-<stage>-token-previous` names (chalicelib/auth/keyring.py).
Rotating creates a new HMAC_256 key (the ES256 signing key is derived from it,
chalicelib/auth/derived_keys.py), points `-previous` at the current key and the main alias at
the new one. A stage whose current key is still an ECC_NIST_P256 signing key (from before
derivation) moves to derivation with one rotation, and the old key's tokens keep verifying.
The key that `-previous` named before is retired: tokens
it signed stop verifying once the functions resolve the aliases again (at most
BERTH_TOKEN_KEY_RESOLVE seconds, 300). So two rotations closer together than a token's
lifetime plus that interval would cut tokens short: `rotate` refuses them unless forced.

The stack's `TokenKeyAlias` resource created the main alias; after a rotation it points
elsewhere than the template says (drift that a stack update leaves alone, since the alias
resource does not change). Keys made here carry the tag `berth:stage` so that they can be
found and deleted with the stage; `--schedule-deletion` schedules the retired key's deletion
(KMS waits 7 to 30 days).

Against `berth serve --auth`: `--endpoint-url` the moto URL the server prints, stage `local`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from berth.deploy.iam_policy import token_key_alias
from berth.infra import TOKEN_KEY_SPEC, TOKEN_KEY_USAGE
from chalicelib.auth.auth_settings import previous_alias

# A token lives 300 s, plus 60 s of clock leeway, plus up to 300 s before every function
# has resolved the aliases again: the previous key must stay listed that long at least.
MIN_KEY_AGE = timedelta(minutes=15)
STAGE_TAG = "berth:stage"


class RotateError(Exception):
    """Rotation refused or impossible; the message says why."""


@dataclass(frozen=True)
class Rotation:
    new_key: str
    previous_key: str
    retired_key: str | None
    retired_deletion_scheduled: bool


def _alias_target(kms: Any, alias: str) -> dict[str, Any] | None:
    try:
        metadata: dict[str, Any] = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        return None
    return metadata


def rotate(
    kms: Any,
    stage: str,
    *,
    force: bool = False,
    schedule_deletion: bool = False,
    now: datetime | None = None,
) -> Rotation:
    """Create the stage's next signing key and move the aliases (module docstring)."""
    alias = token_key_alias(stage)
    previous = previous_alias(alias)
    assert previous is not None
    current = _alias_target(kms, alias)
    if current is None:
        raise RotateError(f"{alias} does not exist: deploy the stage (or start berth serve) first")
    retired = _alias_target(kms, previous)
    moment = now or datetime.now(UTC)
    age = moment - current["CreationDate"]
    if retired is not None and age < MIN_KEY_AGE and not force:
        raise RotateError(
            f"the current key is {int(age.total_seconds())} s old: rotating again before "
            f"{int(MIN_KEY_AGE.total_seconds())} s would refuse tokens its predecessor signed "
            "that have not expired yet (--force to do it anyway)"
        )
    created = kms.create_key(
        KeySpec=TOKEN_KEY_SPEC,
        KeyUsage=TOKEN_KEY_USAGE,
        Description=f"Berth {stage}: root of the token-signing key (ES256), rotated in",
        Tags=[{"TagKey": STAGE_TAG, "TagValue": stage}],
    )["KeyMetadata"]
    current_id = str(current["KeyId"])
    # The previous alias first: for a moment both name the current key, which is harmless.
    if retired is None:
        kms.create_alias(AliasName=previous, TargetKeyId=current_id)
    else:
        kms.update_alias(AliasName=previous, TargetKeyId=current_id)
    kms.update_alias(AliasName=alias, TargetKeyId=created["KeyId"])
    scheduled = False
    if retired is not None and schedule_deletion and retired["KeyId"] != current_id:
        kms.schedule_key_deletion(KeyId=retired["KeyId"], PendingWindowInDays=7)
        scheduled = True
    return Rotation(
        new_key=str(created["KeyId"]),
        previous_key=current_id,
        retired_key=None if retired is None else str(retired["KeyId"]),
        retired_deletion_scheduled=scheduled,
    )


def _kms(args: argparse.Namespace) -> Any:
    import boto3

    if args.endpoint_url:  # berth serve's moto: any credentials do, real ones are not sent
        from berth.localserver.stack import FAKE_CREDENTIALS, REGION

        return boto3.client(
            "kms",
            endpoint_url=args.endpoint_url,
            region_name=args.region or REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        )
    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    return session.client("kms")


def _rotate(args: argparse.Namespace) -> int:
    try:
        done = rotate(
            _kms(args), args.stage, force=args.force, schedule_deletion=args.schedule_deletion
        )
    except RotateError as error:
        print(f"berth keys rotate: {error}", file=sys.stderr)
        return 1
    print(f"new signing key {done.new_key}; previous (still verifies) {done.previous_key}")
    if done.retired_key is not None:
        state = "deletion scheduled in 7 days" if done.retired_deletion_scheduled else "kept"
        print(f"retired key {done.retired_key} ({state}): its tokens stop verifying within 300 s")
    return 0


def register(commands: Any) -> None:
    keys = commands.add_parser(
        "keys",
        help="rotate the stage's token-signing key",
        description="Manage the KMS keys that sign registry access tokens.",
    )
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    rotate_parser = actions.add_parser(
        "rotate",
        help="create a new signing key; the current one keeps verifying its tokens",
        description="Create a new signing key and move the aliases: the current key becomes "
        "the previous one (still verifies), the previous one is retired.",
    )
    rotate_parser.add_argument("--stage", required=True, help="the stage (local: berth serve)")
    rotate_parser.add_argument("--profile", default=None, help="AWS profile")
    rotate_parser.add_argument("--region", default=None, help="AWS region")
    rotate_parser.add_argument(
        "--endpoint-url", default=None, help="KMS endpoint (berth serve prints its moto URL)"
    )
    rotate_parser.add_argument(
        "--force", action="store_true", help="rotate even if the current key is very new"
    )
    rotate_parser.add_argument(
        "--schedule-deletion",
        action="store_true",
        help="schedule the retired key's deletion (7 days)",
    )
    rotate_parser.set_defaults(func=_rotate)
