"""Exit codes of `berth push` and the one exception that carries them.

A CI job can act on the code alone: retry on 6 (network), fix credentials on 4, fix the input on
3, look at the registry's message on 5.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # anything unexpected (a bug): the message says what
    USAGE = 2  # bad arguments (argparse uses 2 as well)
    SOURCE_INVALID = 3  # the source is not a readable layout, archive or docker save tarball
    AUTH = 4  # the registry refused the credentials or their rights (401, 403)
    REFUSED = 5  # the registry refused a request (any other 4xx, or a 5xx)
    NETWORK = 6  # the registry could not be reached, or the connection broke: retrying resumes


class PushError(Exception):
    """A failure `berth push` reports as one line and an exit code."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def source_invalid(message: str) -> PushError:
    return PushError(ExitCode.SOURCE_INVALID, message)
