"""Docker credential helpers (`credsStore`, `credHelpers`): `docker-credential-<name> get` with
the registry's host on stdin answers `{"ServerURL", "Username", "Secret"}`. Reading them is how a
`docker login` into a keychain, or an ECR-style helper, serves `berth` too."""

from __future__ import annotations

import json
import subprocess

from berth.client.credentials import Credentials

HELPER_TIMEOUT_SECONDS = 60.0


class CredentialHelperError(Exception):
    """A configured helper that cannot be run or answers nonsense: said, not skipped, as a
    silent fallback to anonymous would only show up as a confusing UNAUTHORIZED."""


def helper_get(name: str, host: str) -> Credentials | None:
    """The helper's credentials for `host`, or None when it has none for it."""
    program = f"docker-credential-{name}"
    try:
        done = subprocess.run(
            [program, "get"],
            input=host.encode(),
            capture_output=True,
            timeout=HELPER_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CredentialHelperError(f"credential helper {program} failed: {error}") from None
    if done.returncode != 0:
        # "credentials not found in native keychain" and the like: nothing stored for host.
        return None
    try:
        answer = json.loads(done.stdout)
        username, secret = answer["Username"], answer["Secret"]
    except (ValueError, KeyError, TypeError):
        message = f"credential helper {program} answered no credentials"
        raise CredentialHelperError(message) from None
    if not isinstance(username, str) or not isinstance(secret, str) or not secret:
        return None
    return Credentials(username, secret)
