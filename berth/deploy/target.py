"""Where a deploy goes (profile and region), and the environment that sends child processes
there.

`berth deploy --profile P --region R` talks to AWS through a boto3 session, but two steps run
in child processes (`chalice deploy` and the first-admin step): they must reach the same
account and region. They get it through the standard variables, which every AWS SDK and
Chalice honour; `AWS_ENDPOINT_URL` (moto in the rehearsal) passes through unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AwsTarget:
    region: str | None = None
    profile: str | None = None

    @classmethod
    def of(cls, session: Any) -> AwsTarget:
        """The region and (explicit) profile of a boto3 session."""
        profile = session.profile_name
        explicit = profile if profile != "default" or "AWS_PROFILE" in os.environ else None
        return cls(region=session.region_name, profile=explicit)

    def environment(self) -> dict[str, str]:
        """This process's environment, sent to the target's profile and region."""
        env = dict(os.environ)
        if self.region:
            env["AWS_DEFAULT_REGION"] = self.region
            env["AWS_REGION"] = self.region
        if self.profile:
            # As in the parent's session: an explicit profile wins over keys in the
            # environment (botocore's chain would otherwise prefer the keys).
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
                env.pop(name, None)
            env["AWS_PROFILE"] = self.profile
        return env
