"""`make mutate` (scripts/mutate.py) is not run in CI: it is slow and edits the tree. What can
rot silently is its list: a refactoring that moves a mutated line makes that mutation stale,
and it then tests nothing. This checks, in CI, that each mutation still names exactly one line
of its file and that its tests exist."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _mutate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutate", ROOT / "scripts" / "mutate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


def test_every_mutation_names_one_line_and_real_tests() -> None:
    mutate = _mutate()
    stale = []
    for mutation in mutate.MUTATIONS:
        lines = (ROOT / mutation.path).read_text().splitlines()
        if sum(1 for line in lines if line.strip() == mutation.line) != 1:
            stale.append(mutation.id)
        assert mutation.line != mutation.mutant, mutation.id
        for test in mutation.tests:
            assert (ROOT / test).is_file(), (mutation.id, test)
    assert stale == [], f"update scripts/mutate.py: these lines moved: {stale}"
    assert len({m.id for m in mutate.MUTATIONS}) == len(mutate.MUTATIONS)
