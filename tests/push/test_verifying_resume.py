"""`berth push` on the default direct-to-S3 path: after the last byte it says "verifying"
while the registry reads the blob back, and a Ctrl-C during that verification keeps the bytes:
the rerun goes straight to the verification instead of sending the layer again (issue 18 §4).
In process against `berth serve --lambda-limits`, so the interruption lands exactly there."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from berth import cli
from berth.push import s3
from tests.e2e.images import write_image
from tests.e2e.support import Registry, new_repository

MiB = 1024 * 1024


def test_ctrl_c_while_verifying_resumes_at_the_verification(
    limited: Registry,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image = write_image(tmp_path / "src", "v1", layer_sizes=(6 * MiB,))
    target = f"{limited.host}/{new_repository('verify')}:v1"
    state = tmp_path / "state"
    complete = s3.S3Uploader._complete

    def interrupted(self: s3.S3Uploader, job: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(s3.S3Uploader, "_complete", interrupted)
    status = cli.main(["push", "-j", "1", "--state", str(state),
                       str(image.layout), target])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 130, err
    layer = image.layers[0].digest
    assert f"{layer[:19]}: verifying 6.0 MiB (all bytes sent)" in err
    assert "run again to resume" in err
    recorded = json.loads(next(state.glob("uploads-*.json")).read_text())
    assert list(recorded[layer]["parts"]) == ["1"]  # the finished PUT

    monkeypatch.setattr(s3.S3Uploader, "_complete", complete)
    status = cli.main(["push", "--state", str(state), str(image.layout), target])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.out.strip() == image.manifest.digest
    assert f"{layer[:19]}: uploading 6.0 MiB, resuming at 6.0 MiB" in captured.err
    sent = re.search(r"uploaded ([\d.]+) (B|KiB|MiB) in", captured.err)
    assert sent is not None and sent.group(2) != "MiB", captured.err  # not the layer again
    assert json.loads(next(state.glob("uploads-*.json")).read_text()) == {}
