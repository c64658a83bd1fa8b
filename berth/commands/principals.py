"""Principal names as people type them: every spelling a `berth` command or a registry ever
prints names the same principal (`robot$ci`, the login; `robot:ci`, the audit's subject; `ci`
where the command already says robot), so output can be pasted back as input."""

from __future__ import annotations

import argparse

KINDS = ("user", "robot", "iam")
ROBOT_LOGIN = "robot$"


def principal(value: str) -> tuple[str, str]:
    """`alice`, `user:alice`, `robot$ci`, `robot:ci` or `iam:name` -> (kind, name)."""
    if value.startswith(ROBOT_LOGIN):
        return "robot", value[len(ROBOT_LOGIN) :]
    kind, colon, name = value.partition(":")
    if not colon:
        return "user", value
    if kind not in KINDS or not name:
        raise argparse.ArgumentTypeError(f"{value!r} is not user:NAME, robot:NAME or iam:NAME")
    return kind, name


def robot_name(value: str) -> str:
    """`ci`, `robot$ci` or `robot:ci` -> `ci` (for the robot commands)."""
    for prefix in (ROBOT_LOGIN, "robot:"):
        if value.startswith(prefix) and len(value) > len(prefix):
            return value[len(prefix) :]
    return value


def user_name(value: str) -> str:
    """`alice` or `user:alice` -> `alice` (for the user commands)."""
    return value[len("user:") :] if value.startswith("user:") and len(value) > 5 else value


def subject(value: str) -> str:
    """The subject the audit log files a principal under: `user:alice`, `robot:ci`, ...
    (`system:lifecycle` and `unknown:<digest>` are the log's own, taken as written)."""
    kind, colon, name = value.partition(":")
    if colon and kind in ("system", "unknown") and name:
        return value
    found_kind, found_name = principal(value)
    return f"{found_kind}:{found_name}"
