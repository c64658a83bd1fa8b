"""One vocabulary across commands (issue 18 §3): every command takes `HOST/REPO:TAG` (the host
then names the registry, as for `berth push`), exit codes tell a refusal from an unreachable
registry, an unexpected failure is one line and not a traceback, times print one way, history
fits a 100-column terminal, and `--version`, shell completion and `--json` exist."""

from __future__ import annotations

import io
import json
import re
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from berth import cli
from berth.commands import common
from tests.cli.test_admin_commands import served  # noqa: F401
from tests.push.dockersave import write_docker_save

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_host_references_exit_codes_and_history_width(
    served: str,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("BERTH_REGISTRY", f"127.0.0.1:{_closed_port()}")  # never used below
    host = served.split("://", 1)[1]
    repo = f"vocab/{uuid.uuid4().hex[:8]}"
    digests = []
    for n in range(2):
        saved = write_docker_save(tmp_path / f"{n}.tar")
        status, out, err = _main(
            capsys, "push", "-q", "--json", str(saved.path), f"{host}/{repo}:v"
        )
        assert status == 0, err
        pushed = json.loads(out)
        assert pushed["reference"] == f"{host}/{repo}:v" and pushed["uploaded"] == 2
        digests.append(pushed["digest"])

    # Every command takes the reference the push took; its host is the registry.
    status, out, err = _main(capsys, "history", f"{host}/{repo}:v")
    assert status == 0, err
    assert out.splitlines()[0] == f"{repo}:v -> {digests[1]}"
    assert TIME.match(out.splitlines()[2].split()[0])
    status, out, err = _main(capsys, "repo", "set-immutable", f"{host}/{repo}", "--off")
    assert status == 0 and out.strip() == f"{repo}: tags are mutable", err
    assert _main(capsys, "lifecycle", "show", f"{host}/{repo}")[0] == 0
    assert _main(capsys, "rollback", f"http://{host}/{repo}:v")[0] == 0
    status, _, err = _main(capsys, "rollback", f"{host}/{repo}:nope")
    assert status == common.EXIT_NOT_FOUND, err
    status, _, err = _main(capsys, "history", f"{repo}:v")  # no host: $BERTH_REGISTRY's
    assert status == common.EXIT_UNREACHABLE and "cannot reach" in err
    status, _, err = _main(capsys, "repo", "ls")
    assert status == common.EXIT_UNREACHABLE and "Traceback" not in err

    # On a terminal a history line fits 100 columns; a pipe gets the full digests.
    monkeypatch.setattr("sys.stdout", _Terminal())
    assert cli.main(["history", f"{host}/{repo}:v"]) == 0
    lines = cli.sys.stdout.getvalue().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 5 and all(len(line) <= 100 for line in lines), lines
    assert lines[2].split()[1:3] == ["rollback", digests[1][:19]]
    monkeypatch.setattr("sys.stdout", _Terminal())
    assert cli.main(["history", f"{host}/{repo}:v", "--no-trunc"]) == 0
    assert digests[1] in cli.sys.stdout.getvalue().splitlines()[2]  # type: ignore[attr-defined]


def test_an_unexpected_failure_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_args: Any) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr(common, "client_for", broken)
    status, _, err = _main(capsys, "repo", "ls")
    assert status == 1 and "KeyError" in err and "Traceback" not in err
    assert "BERTH_DEBUG=1" in err

    def interrupted(_args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(common, "client_for", interrupted)
    status, _, err = _main(capsys, "gc")
    assert status == cli.EXIT_INTERRUPTED and "interrupted" in err


def test_version_and_json_of_cost(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"berth {version('berth')}"
    status, out, _ = _main(capsys, "cost", "--json")
    estimate = json.loads(out)
    assert status == 0 and estimate["workload"]["storedGb"] == 500
    assert set(estimate["total"]) == {"functionUrl", "apiGateway", "ecr"}


def test_bash_completion(capsys: pytest.CaptureFixture[str]) -> None:
    status, script, _ = _main(capsys, "completion", "bash")
    assert status == 0

    def complete(*words: str) -> set[str]:
        line = " ".join(f"'{w}'" for w in words)
        probe = (
            f"{script}\nCOMP_WORDS=(berth {line}); COMP_CWORD={len(words)}; _berth; "
            'printf "%s\\n" "${COMPREPLY[@]}"'
        )
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
        return set(done.stdout.split())

    assert {"repo", "robot", "rollback"} <= complete("r")
    assert complete("repo", "") >= {"ls", "set-immutable", "set-rollback-window"}
    assert complete("audit", "--pr") == {"--principal"}
    assert "--exact" in complete("--registry", "x", "repo", "ls", "--")
    status, zsh, _ = _main(capsys, "completion", "zsh")
    assert status == 0 and zsh.startswith("autoload -U +X bashcompinit")


def test_lifecycle_flags_are_checked_in_their_own_words(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused rule flag is said in the flag's words first, then what the registry said
    about the document the flags made (`countNumber`), which the user never wrote."""
    from berth.client.berth_api import RegistryError

    class Refusing:
        def set_lifecycle(self, _repo: str, _document: Any) -> Any:
            raise RegistryError(400, "UNSUPPORTED", "rules[1]: countNumber must be from 1")

    monkeypatch.setattr(common, "client_for", lambda _args: Refusing())
    status, _, err = _main(capsys, "lifecycle", "set", "team/app", "--untagged-days", "0")
    first, second = err.splitlines()[:2]
    assert status == common.EXIT_ERROR
    assert (
        first == "berth lifecycle set: --untagged-days must be from 1 to 100000 days "
        "(no rule: leave the flag out)"
    )
    assert "countNumber" in second
    status, _, err = _main(capsys, "lifecycle", "set", "team/app", "--keep-last", "-1")
    assert status == common.EXIT_ERROR and "--keep-last must be from 1" in err


def test_an_unknown_option_shows_the_usage_of_its_own_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Found trying it as a user: `berth scan policy set REPO --block CRITICAL` printed the
    top-level usage (the list of commands), not the options `set` takes."""
    with pytest.raises(SystemExit) as exited:
        cli.main(["scan", "policy", "set", "team/app", "--block", "CRITICAL"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "usage: berth scan policy set" in err and "--severity" in err
    assert "berth scan policy set: error: unrecognized arguments: --block CRITICAL" in err
    with pytest.raises(SystemExit) as exited:
        cli.main(["tags", "team/app", "--bogus"])
    assert exited.value.code == 2
    assert "berth tags: error: unrecognized arguments: --bogus" in capsys.readouterr().err
