"""The deploy rehearsals' moto server (tests/deploy/motoserver.py)."""

from tests.deploy.motoserver import moto_server, session  # noqa: F401
