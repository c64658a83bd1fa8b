"""Fixtures of the command tests."""

from tests.auth.gate_support import auth_on  # noqa: F401
