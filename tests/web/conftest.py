"""Fixtures of the web interface tests: the API tests' table cleanup and auth switch."""

from tests.api.conftest import _empty_table_after_test  # noqa: F401
from tests.auth.gate_support import auth_on  # noqa: F401
