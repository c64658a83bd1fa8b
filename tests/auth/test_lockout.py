"""Failed-login limits stop guessing without letting a stranger lock an account out
(issue 11, D7): ten wrong logins for a name from anywhere used to answer 429 to the right
password from everywhere. Called at the gate's `login` with explicit source addresses (the
test client has only one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.auth import gate, ratelimit
from chalicelib.auth.permissions import Level
from chalicelib.auth.ratelimit import RateLimited
from chalicelib.oci.errors import OCIError
from tests.auth.gate_support import Caller, Clock, robot, unique, user

PER_SOURCE, PER_IP, GLOBAL = 10, 30, 40


@pytest.fixture
def limits(auth_on: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from chalicelib.auth.auth_settings import auth_settings

    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_NAME", str(PER_SOURCE))
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_IP", str(PER_IP))
    monkeypatch.setenv("BERTH_LOGIN_FAILURES_PER_NAME_GLOBAL", str(GLOBAL))
    monkeypatch.setattr(ratelimit, "clock", Clock(1_800_000_010.0))  # no window ends mid-test
    auth_settings.cache_clear()
    yield
    auth_settings.cache_clear()


def _address() -> str:
    n = int(unique("")[:6], 16)
    return f"10.{n % 250}.{(n // 250) % 250}.{(n // 62500) % 250 + 1}"


def _fail(caller: Caller, source: str, times: int) -> list[str]:
    assert caller.username
    codes = []
    for _ in range(times):
        with pytest.raises(OCIError) as caught:
            gate.login(caller.username, "wrong-" + unique(""), source)
        codes.append(caught.value.code)
    return codes


def _login(caller: Caller, source: str) -> str:
    assert caller.username and caller.secret
    return gate.login(caller.username, caller.secret, source).subject


def test_a_stranger_elsewhere_cannot_lock_out_admin(limits: None) -> None:
    admin = user("admin", [("*", Level.ADMIN)])
    stranger = _address()
    codes = _fail(admin, stranger, PER_SOURCE + 2)
    assert codes == ["UNAUTHORIZED"] * PER_SOURCE + ["TOOMANYREQUESTS"] * 2
    assert _login(admin, _address()) == f"user:{admin.username}"


def test_brute_force_from_one_source_is_still_limited(limits: None) -> None:
    admin = user("admin", [("*", Level.ADMIN)])
    source = _address()
    _fail(admin, source, PER_SOURCE)
    with pytest.raises(RateLimited):  # even the right password waits, from that source
        _login(admin, source)


def test_a_robot_cannot_be_locked_out_even_by_many_addresses(limits: None) -> None:
    ci = robot("ci", [(f"{unique('lk')}/app", Level.PULL)])
    for _ in range(GLOBAL // PER_SOURCE + 1):  # past the backstop a user would hit
        _fail(ci, _address(), PER_SOURCE)
    assert ci.username is not None
    assert _login(ci, _address()) == "robot:" + ci.username.removeprefix("robot$")


def test_the_backstop_bounds_a_distributed_guesser_of_a_user(limits: None) -> None:
    """A password can be guessed; from enough addresses, the name waits everywhere."""
    admin = user("admin", [("*", Level.ADMIN)])
    for _ in range(GLOBAL // PER_SOURCE):
        _fail(admin, _address(), PER_SOURCE)
    with pytest.raises(RateLimited):
        _login(admin, _address())
