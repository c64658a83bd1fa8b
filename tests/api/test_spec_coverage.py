"""Every MUST and SHOULD of the distribution spec (v1.1.1 and main) is mapped to a test.

spec_requirements.py lists each normative sentence with the tests that check it or a reason
for having none; these tests keep that map and the spec files in step (both ways) and make
sure every named test still exists. They read files only: no moto, well under a second.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.api.spec_extract import normalise, normative_sentences, split_sentences
from tests.api.spec_requirements import CATEGORIES, MAIN, REQUIREMENTS, V111, VERSIONS
from tests.unit.spec import SPEC_DIR, spec_text

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILES = {V111: "distribution-spec-v1.1.1.md", MAIN: "distribution-spec-main.md"}


@pytest.fixture(autouse=True)
def _empty_table_after_test() -> Iterator[None]:
    """Overrides tests/api/conftest.py's: these tests touch no table, so they need no moto."""
    yield


@cache
def _sections(version: str) -> dict[str, str]:
    """Each normative sentence of a spec version -> the section it is (first) found in."""
    found = normative_sentences(spec_text(SPEC_DIR / SPEC_FILES[version]))
    return {s.text: s.section for s in found}


def _extracted(version: str) -> frozenset[str]:
    return frozenset(_sections(version))


@cache
def _test_functions(path: str) -> frozenset[str]:
    """The names of the test functions (module level or in a class) a test file defines."""
    file = ROOT / path
    if not file.is_file():
        return frozenset()
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    )


# --------------------------------------------------------------------------- the map


@pytest.mark.parametrize("version", VERSIONS)
def test_every_normative_sentence_of_the_spec_is_mapped(version: str) -> None:
    """A sentence the spec gained (or reworded) must be added to spec_requirements.py."""
    mapped = {r.text for r in REQUIREMENTS if version in r.versions}
    missing = [f"[{_sections(version)[t]}] {t}" for t in sorted(_extracted(version) - mapped)]
    assert not missing, (
        f"{version}: normative sentences not in tests/api/spec_requirements.py (add each with "
        f"the tests that check it, or an exemption): {missing}"
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_mapped_sentence_is_still_in_the_spec(version: str) -> None:
    """A sentence the spec dropped (or reworded) must leave the map, or lose that version."""
    mapped = {r.text for r in REQUIREMENTS if version in r.versions}
    stale = sorted(mapped - _extracted(version))
    assert not stale, f"{version}: spec_requirements.py sentences no longer in the spec: {stale}"


def test_each_sentence_is_listed_once() -> None:
    counts = Counter(r.text for r in REQUIREMENTS)
    assert [text for text, n in counts.items() if n > 1] == []


def test_each_entry_has_tests_or_one_exemption_with_a_reason() -> None:
    for requirement in REQUIREMENTS:
        assert requirement.versions, requirement.text
        assert set(requirement.versions) <= set(VERSIONS), requirement.text
        assert bool(requirement.tests) != (requirement.exempt is not None), requirement.text
        if requirement.exempt is not None:
            category, reason = requirement.exempt
            assert category in CATEGORIES, requirement.text
            assert reason.strip() and "\n" not in reason, requirement.text


def test_every_mapped_test_exists() -> None:
    """A renamed or deleted test must be replaced in the map, not silently lost."""
    gone = []
    for requirement in REQUIREMENTS:
        for node_id in requirement.tests:
            path, _, function = node_id.partition("::")
            if function not in _test_functions(path):
                gone.append(node_id)
    assert not gone, f"mapped tests that do not exist: {sorted(set(gone))}"


def test_tests_named_in_exemption_reasons_exist() -> None:
    """An exemption that points at a test (`see test_x`) must point at a real one (of the API
    tests, or of the extension tests for Berth's own rules such as immutable tags)."""
    files = _api_test_files() + _extension_test_files()
    known = set().union(*(_test_functions(p) for p in files))
    for requirement in REQUIREMENTS:
        if requirement.exempt is None:
            continue
        for name in re.findall(r"\btest_\w+", requirement.exempt[1]):
            assert name in known, (name, requirement.text)


def _api_test_files() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "api").glob("test_*.py"))


def _extension_test_files() -> list[str]:
    folder = ROOT / "tests" / "extensions"
    return sorted(str(p.relative_to(ROOT)) for p in folder.glob("test_*.py"))


# --------------------------------------------------------------------------- the extraction


def test_normalise_reduces_markdown_to_words() -> None:
    text = (
        "A `GET` to [the URL](#x) <sup>[end-3](#endpoints)</sup> MUST be **fast**,\n"
        "  _Implementers note:_ really."
    )
    assert normalise(text) == "A GET to the URL MUST be fast, Implementers note: really."


def test_normalise_keeps_underscores_inside_words_and_code() -> None:
    assert normalise("the `OCI_CHUNK` and MANIFEST_BLOB_UNKNOWN code") == (
        "the OCI_CHUNK and MANIFEST_BLOB_UNKNOWN code"
    )


def test_split_sentences_at_full_stops_before_a_capital_or_code() -> None:
    text = "It MUST be a tag (i.e. a name). `<name>` MUST match. Then e.g. lower stays."
    assert split_sentences(text) == [
        "It MUST be a tag (i.e. a name).",
        "`<name>` MUST match.",
        "Then e.g. lower stays.",
    ]


def test_extraction_skips_code_tables_rules_and_conventions() -> None:
    markdown = "\n".join(
        [
            "# Spec",
            "## Notational Conventions",
            'The key words "MUST" and "SHOULD" are to be interpreted as in RFC 2119.',
            "## Pulling",
            "The registry MUST answer.",
            "The client MAY ignore it. Clients SHOULD verify it.",
            "```",
            "This MUST NOT be read: it is an example.",
            "```",
            "| Code | Meaning |",
            "| ---- | ------- |",
            "| X | a row that MUST be kept |",
            "- an item that SHOULD count",
            "- another that is optional",
            "---",
            "The registry MUST answer.",
        ]
    )
    found = normative_sentences(markdown)
    assert [(s.section, s.text) for s in found] == [
        ("Pulling", "The registry MUST answer."),
        ("Pulling", "Clients SHOULD verify it."),
        ("Pulling", "X | a row that MUST be kept"),
        ("Pulling", "an item that SHOULD count"),
    ]


def test_extraction_is_blind_to_rewrapping() -> None:
    one = "The registry MUST store the manifest in the exact byte representation provided."
    wrapped = "The registry MUST store the manifest\nin the exact byte   representation provided."
    assert [s.text for s in normative_sentences(wrapped)] == [one]


def test_extraction_ignores_lower_case_key_words() -> None:
    assert normative_sentences("Registries should avoid long names. A client must retry.") == []


def test_both_spec_versions_have_requirements() -> None:
    """A guard against an extraction that silently finds nothing."""
    for version in VERSIONS:
        assert len(_extracted(version)) > 100
