"""Importing the verifiers costs no `cryptography` import (cold start): it loads on first use."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_verifiers_does_not_import_cryptography() -> None:
    code = (
        "import sys\n"
        "import chalicelib.signing.cosign_simple_signing, chalicelib.signing.sigstore_bundle\n"
        "import chalicelib.signing.notation_jws, chalicelib.signing.notation_cose\n"
        "assert not [m for m in sys.modules if m.startswith('cryptography')], 'eager import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
