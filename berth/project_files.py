"""Where the files `berth deploy` ships and reads live: the checkout, or the wheel's copy.

In a checkout (and an editable install) they are the repository's own: `infra/`,
`.chalice/` and `requirements.txt` beside `app.py` and `chalicelib/`. A wheel (`pip install`,
`pipx install`: no checkout at all) installs `app.py` and `chalicelib/` as top-level modules
beside `berth/`, and carries the rest in `berth/_project/` (copied in at build time by
setup.py). Chalice's records and packages then go to the user's state directory, since
site-packages is no place to write.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = Path(__file__).resolve().parents[1]  # app.py and chalicelib/ (checkout or site-packages)
BUNDLED = Path(__file__).resolve().parent / "_project"
# Copied into the wheel by setup.py, relative to the checkout (and to BUNDLED).
SHIPPED = (
    "infra/berth.yaml",
    "infra/operator-policy.json",
    "requirements.txt",
    ".chalice/config.json",
    ".chalice/policy-dev.json",
    ".chalice/policy-prod.json",
)


def _project() -> Path:
    return APP if (APP / "infra" / "berth.yaml").is_file() else BUNDLED


PROJECT = _project()
INSTALLED = PROJECT == BUNDLED
TEMPLATE = PROJECT / "infra" / "berth.yaml"
OPERATOR_POLICY = PROJECT / "infra" / "operator-policy.json"
REQUIREMENTS = PROJECT / "requirements.txt"
CHALICE_DIR = PROJECT / ".chalice"


def _work() -> Path:
    """Chalice's records and packages: the checkout's `.chalice/`, or for a wheel
    `$XDG_STATE_HOME/berth/chalice` (`~/.local/state/berth/chalice`)."""
    if not INSTALLED:
        return APP / ".chalice"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "berth" / "chalice"


WORK = _work()


def source() -> str:
    """Where a deploy takes the app from, in words."""
    if INSTALLED:
        return f"the installed package ({APP}; template and config from {BUNDLED})"
    return f"the checkout {APP}"


def missing() -> list[str]:
    """The files a deploy needs that are not where they should be (empty when all are)."""
    needed = [APP / "app.py", APP / "chalicelib" / "__init__.py"]
    needed += [PROJECT / name for name in SHIPPED]
    return [str(path) for path in needed if not path.is_file()]
