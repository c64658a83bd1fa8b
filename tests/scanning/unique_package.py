"""An image holding one Python package whose name no other test uses, and advisories for it:
the advisory database is shared by every test of a session (it lives in the bucket), so a test
that watches findings appear or change needs a package only it has advisories for."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.helpers import Pushed
from tests.scanning.advisories import osv
from tests.scanning.layers import layer
from tests.scanning.test_scan_api import OCI_LAYER_GZIP, SITE, image_of


def unique_name() -> str:
    return f"berth-test-{uuid.uuid4().hex[:12]}"


def python_image(name: str, version: str = "1.0.0") -> Pushed:
    metadata = f"Name: {name}\nVersion: {version}\n".encode()
    return image_of(
        [(OCI_LAYER_GZIP, layer([(f"{SITE}/{name}-{version}.dist-info/METADATA", metadata)]))]
    )


def advisory(id: str, name: str, severity: str, fixed: str = "2.0.0") -> dict[str, Any]:
    return osv(
        id,
        "PyPI",
        name,
        [{"introduced": "0"}, {"fixed": fixed}],
        database_specific={"severity": severity},
    )
