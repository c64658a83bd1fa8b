"""The app's bytecode, compiled into the bundle that Lambda runs.

Lambda unpacks the function into /var/task, which is read-only: Python cannot cache what it
compiles there, so a bundle of sources makes every cold start compile every module of
chalicelib again (about 50 ms of CPU per cold start on the measuring machine: docs/cost.md).
Chalice bundles chalicelib/ file by file, `__pycache__` included (of app.py, which holds only
the routes, it takes the source alone), and picks the function's
runtime from the deploying interpreter's version, so bytecode compiled here by that
interpreter is what the runtime looks for. Unchecked-hash .pyc files (PEP 552): a zip keeps no
reliable modification times, and nothing in the bundle changes after it is built.
"""

from __future__ import annotations

import compileall
import py_compile
from pathlib import Path

MODE = py_compile.PycInvalidationMode.UNCHECKED_HASH


def compile_bundle(app_dir: Path) -> None:
    """Compile `app_dir`'s chalicelib/ in place; raises if a module fails."""
    if not compileall.compile_dir(app_dir / "chalicelib", quiet=2, invalidation_mode=MODE):
        raise RuntimeError(f"the app in {app_dir} does not compile")
