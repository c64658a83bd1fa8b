"""Where `berth` finds credentials when none are given, and in which order: $BERTH_USERNAME/
$BERTH_PASSWORD, podman's auth.json ($REGISTRY_AUTH_FILE or $XDG_RUNTIME_DIR's, then
$XDG_CONFIG_HOME's), then docker's config: credHelpers, credsStore (a fake
`docker-credential-*` on PATH), auths."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berth.client.auth_files import credentials_in, erase, store
from berth.client.credential_helpers import CredentialHelperError
from berth.client.credentials import Credentials, find_credentials

HOST = "127.0.0.1:5402"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials anywhere: every standard place points into `tmp_path`."""
    for name in ("BERTH_USERNAME", "BERTH_PASSWORD", "REGISTRY_AUTH_FILE", "DOCKER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    return tmp_path


def _auths(path: Path, username: str, password: str, **extra: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {HOST: {"auth": encoded}}, **extra}))


def _helper(home: Path, name: str, answers: dict[str, Credentials]) -> Path:
    """`docker-credential-NAME get`: the entry for the host on stdin, else exit 1; it records
    what it was asked in NAME.asked."""
    script = home / "bin" / f"docker-credential-{name}"
    script.parent.mkdir(exist_ok=True)
    table = {host: {"ServerURL": host, "Username": c.username, "Secret": c.password}
             for host, c in answers.items()}  # fmt: skip
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        f"table = {json.dumps(table)!r}\n"
        "host = sys.stdin.read().strip()\n"
        f"open({str(home / (name + '.asked'))!r}, 'a').write(sys.argv[1] + ' ' + host + '\\n')\n"
        "entry = json.loads(table).get(host)\n"
        "if entry is None:\n"
        "    print('credentials not found in native keychain'); sys.exit(1)\n"
        "print(json.dumps(entry))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_nothing_anywhere_is_anonymous(home: Path) -> None:
    assert find_credentials(HOST) is None


def test_the_order(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docker = home / ".docker" / "config.json"
    _auths(docker, "docker", "d")
    assert find_credentials(HOST) == Credentials("docker", "d")
    _auths(home / "config" / "containers" / "auth.json", "persistent", "p")
    assert find_credentials(HOST) == Credentials("persistent", "p")
    _auths(home / "run" / "containers" / "auth.json", "podman", "r")
    assert find_credentials(HOST) == Credentials("podman", "r")
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(home / "elsewhere.json"))
    assert find_credentials(HOST) == Credentials("persistent", "p")  # replaces the runtime one
    _auths(home / "elsewhere.json", "authfile", "a")
    assert find_credentials(HOST) == Credentials("authfile", "a")
    monkeypatch.setenv("BERTH_USERNAME", "env")
    monkeypatch.setenv("BERTH_PASSWORD", "e")
    assert find_credentials(HOST) == Credentials("env", "e")
    assert find_credentials(HOST, "flag", "f") == Credentials("flag", "f")
    assert find_credentials("other:5000") == Credentials("env", "e")


def test_a_username_alone_picks_that_users_stored_login(home: Path) -> None:
    _auths(home / "run" / "containers" / "auth.json", "podman", "r")
    _auths(home / ".docker" / "config.json", "docker", "d")
    assert find_credentials(HOST, "docker") == Credentials("docker", "d")
    assert find_credentials(HOST, "nobody") is None


def test_docker_config_env_and_scheme_spelt_keys(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(home / "dc"))
    encoded = base64.b64encode(b"u:p:with:colons").decode()
    (home / "dc").mkdir()
    (home / "dc" / "config.json").write_text(
        json.dumps({"auths": {f"https://{HOST}": {"auth": encoded}}})
    )
    assert find_credentials(HOST) == Credentials("u", "p:with:colons")


def test_cred_helpers_then_creds_store_then_auths(home: Path) -> None:
    _helper(home, "per-host", {HOST: Credentials("robot$ci", "from-helper")})
    _helper(home, "desktop", {"other:5000": Credentials("o", "from-store")})
    docker = home / ".docker" / "config.json"
    _auths(docker, "docker", "d", credHelpers={HOST: "per-host"}, credsStore="desktop")
    assert find_credentials(HOST) == Credentials("robot$ci", "from-helper")
    assert (home / "per-host.asked").read_text() == f"get {HOST}\n"
    assert find_credentials("other:5000") == Credentials("o", "from-store")
    _auths(docker, "docker", "d", credsStore="desktop")
    # The store has nothing for HOST: the file's own entry.
    assert find_credentials(HOST) == Credentials("docker", "d")


def test_a_helper_that_cannot_run_is_said(home: Path) -> None:
    _auths(home / ".docker" / "config.json", "docker", "d", credHelpers={HOST: "absent"})
    with pytest.raises(CredentialHelperError, match="docker-credential-absent"):
        find_credentials(HOST)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50)
@given(username=_TEXT.filter(lambda u: ":" not in u), password=_TEXT, other=st.booleans())
def test_store_then_read_then_erase(
    tmp_path: Path, username: str, password: str, other: bool
) -> None:
    path = tmp_path / "nested" / "auth.json"
    path.unlink(missing_ok=True)
    if other:
        _auths(path, "someone", "else")
        document = json.loads(path.read_text())
        document["auths"]["other:1"] = document["auths"].pop(HOST)
        path.write_text(json.dumps(document))
    store(path, HOST, Credentials(username, password))
    assert credentials_in(path, HOST) == Credentials(username, password)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert erase(path, HOST) and not erase(path, HOST)
    assert credentials_in(path, HOST) is None
    assert ("other:1" in json.loads(path.read_text())["auths"]) == other
