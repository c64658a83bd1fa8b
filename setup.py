"""The wheel carries what `berth deploy` ships and reads from outside the packages (the
stack's template, the operator policy, the Lambda requirements, Chalice's config and the
function's policies) in `berth/_project/`, where berth/project_files.py finds them when
there is no checkout. Everything else is in pyproject.toml."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _shipped() -> tuple[str, ...]:
    """berth.project_files.SHIPPED, read without importing the package (or its dependencies)."""
    spec = importlib.util.spec_from_file_location("_files", HERE / "berth" / "project_files.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped: tuple[str, ...] = module.SHIPPED
    return shipped


class BuildWithProjectFiles(build_py):
    def run(self) -> None:
        super().run()
        for name in _shipped():
            target = Path(self.build_lib) / "berth" / "_project" / name
            self.mkpath(str(target.parent))
            self.copy_file(str(HERE / name), str(target))


setup(cmdclass={"build_py": BuildWithProjectFiles})
