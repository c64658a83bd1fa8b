"""The first admin of a registry: the user `admin`, with admin on every repository.

One definition for both places a registry starts with auth on: `berth serve --auth` (the
password is printed once and lives only in moto's memory) and `berth deploy` (the password
is kept in SSM Parameter Store, berth/deploy/admin_password.py). Both run where chalicelib's
settings point at the registry's table.
"""

from __future__ import annotations

ADMIN_USER = "admin"


def exists() -> bool:
    """Whether the registry already has a user named `admin` (whatever its grants)."""
    from chalicelib.auth import principals

    return principals.load("user", ADMIN_USER) is not None


def new_password() -> str:
    from chalicelib.auth.passwords import new_secret

    return new_secret()


def create(password: str, *, created_by: str) -> None:
    """Create `admin` with `password` and admin on `*`; fails if `admin` already exists."""
    from chalicelib.auth import principals
    from chalicelib.auth.permissions import Level

    principals.create_user(ADMIN_USER, password, description=f"first admin ({created_by})")
    principals.grant("user", ADMIN_USER, "*", Level.ADMIN, granted_by=created_by)
