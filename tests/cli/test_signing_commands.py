"""`berth signing ...` and `berth verify` against the in-process app with auth on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.api.helpers import push, push_image
from tests.api.test_signing_policy import bundle_signature
from tests.cli.test_access_commands import Run, berth  # noqa: F401
from tests.signing.pki import pem


@pytest.fixture
def auth_off_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """Run a step as the test's own pusher, with auth off for its duration."""
    from tests.auth.gate_support import _reset

    def run(step: Callable[[], Any]) -> Any:
        monkeypatch.setenv("BERTH_AUTH", "off")
        _reset()
        try:
            return step()
        finally:
            monkeypatch.setenv("BERTH_AUTH", "on")
            _reset()

    yield run


def test_trust_verify_untrust(
    berth: Run,  # noqa: F811
    client: Any,
    repo: str,
    tmp_path: Path,
    auth_off_for: Callable[[Callable[[], Any]], Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from chalicelib.storage import trust_policy

    trust_policy.forget_cached()
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "cosign.pub").write_bytes(pem(key))
    image = auth_off_for(lambda: push_image(client, repo, "v1"))

    status, out, err = berth(
        capsys, "signing", "trust", repo, "--mode", "enforce", "--key", str(tmp_path / "cosign.pub")
    )
    assert status == 0, err
    assert "1 rule(s)" in out
    status, out, _ = berth(capsys, "signing", "policy")
    assert status == 0 and repo in out and "enforce" in out and "sha256:" in out

    status, out, _ = berth(capsys, "verify", f"{repo}:v1")
    assert status == 1 and "not signed by any key or certificate the policy trusts" in out

    auth_off_for(lambda: push(client, repo, bundle_signature(key, image)))
    status, out, err = berth(capsys, "verify", f"{repo}@{image.digest}")
    assert status == 0 and "signed by: sha256:" in out and "verified" in out, (out, err)
    status, out, _ = berth(capsys, "verify", f"{repo}:v1", "--json")
    assert status == 0 and json.loads(out)["digest"] == image.digest

    status, out, _ = berth(capsys, "signing", "untrust", repo)
    assert status == 0 and "0 rule(s)" in out
    trust_policy.forget_cached()
    status, out, _ = berth(capsys, "verify", f"{repo}:v1")  # no policy: nothing is checked
    assert status == 1 and f"no signing policy covers {repo}" in out, out
    assert "not signed by any key" not in out
    # Not checked, but still named by its format (it showed "-" when unchecked).
    assert "sigstore-bundle-v0.3" in out and "not checked" in out, out
    status, _, err = berth(capsys, "verify", repo)  # a bare name means :latest, not pushed
    assert status == 4 and "MANIFEST_UNKNOWN" in err
    status, _, err = berth(capsys, "signing", "trust", "x/*", "--mode", "enforce")
    assert status != 0 and "needs trusted 'keys' or 'roots'" in err
    trust_policy.forget_cached()
