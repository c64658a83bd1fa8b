"""`berth proxy` refuses to start with a clear message and exit 1, never a traceback: a
registry URL it cannot use, an address in use, a part size S3 would refuse."""

from __future__ import annotations

import socket

import pytest

from berth.cli import main


def test_refusals_to_start(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cases = {
            ("--registry", "ftp://registry.example.com"): "needs http:// or https://",
            ("--port", str(port)): f"cannot listen on 127.0.0.1:{port}",
            ("--part-size", "1"): "the part size must be",
        }
        for argv, message in cases.items():
            assert main(["proxy", "--registry", "http://127.0.0.1:9", "--port", "0", *argv]) == 1
            captured = capsys.readouterr()
            assert captured.err.startswith("berth proxy: ")
            assert message in captured.err
            assert captured.out == ""
