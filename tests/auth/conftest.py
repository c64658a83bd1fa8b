"""Fixtures of the access-control tests."""

from tests.auth.gate_support import auth_on  # noqa: F401
