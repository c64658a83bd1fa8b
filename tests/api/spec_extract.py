"""Normative sentences of the distribution spec, pulled out of its markdown.

The coverage map (spec_requirements.py) is keyed by these sentences, so the extraction must be
stable across cosmetic edits (re-wrapped lines, link targets, emphasis) and change only when
the words change. It is deliberately simple: blocks are paragraphs, list items and table rows;
fenced code is dropped (examples, not requirements); markdown is reduced to its text; a block
is split into sentences at a full stop followed by a capital, backtick or quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# RFC 2119 key words that make a sentence a requirement (MAY/OPTIONAL do not).
NORMATIVE = re.compile(r"\b(MUST|SHOULD|REQUIRED|RECOMMENDED|SHALL)\b")

# Sections whose key words are not requirements on anything.
SKIPPED_SECTIONS = frozenset({"Table of Contents", "Notational Conventions"})

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<(/?)(sup|sub|br|a|b|i|em|strong|code|span)\b[^>]*>")
_SUP = re.compile(r"<sup>.*?</sup>")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_ITALIC = re.compile(r"(?<![\w`])_([^_`]+)_(?![\w`])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"(<_])")


@dataclass(frozen=True)
class Sentence:
    """One normative sentence with the section it sits in (the last heading above it)."""

    text: str
    section: str


def normalise(text: str) -> str:
    """Markdown reduced to plain words: links to their text, no footnote marks, no emphasis
    or backticks, whitespace collapsed."""
    text = _SUP.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _ITALIC.sub(r"\1", text)
    text = text.replace("`", "")
    return " ".join(text.split())


def _blocks(markdown: str) -> list[tuple[str, str]]:
    """(section, raw text) for every paragraph, list item and table row outside code fences."""
    blocks: list[tuple[str, str]] = []
    section = ""
    current: list[str] = []
    fenced = False

    def flush() -> None:
        if current:
            blocks.append((section, " ".join(current)))
            current.clear()

    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            fenced = not fenced
            continue
        if fenced:
            continue
        if stripped.startswith("#"):
            flush()
            section = normalise(stripped.lstrip("#"))
            continue
        if not stripped or stripped == "---":
            flush()
            continue
        if stripped.startswith("|"):
            flush()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                blocks.append((section, " | ".join(cells)))
            continue
        if _LIST_ITEM.match(line):
            flush()
            current.append(_LIST_ITEM.sub("", line))
            continue
        current.append(stripped)
    flush()
    return blocks


def split_sentences(text: str) -> list[str]:
    """A normalised block cut into sentences (a full stop then a capital starts a new one)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def normative_sentences(markdown: str) -> list[Sentence]:
    """Every sentence carrying an RFC 2119 requirement word, in document order, once each."""
    seen: set[str] = set()
    found: list[Sentence] = []
    for section, raw in _blocks(markdown):
        if section in SKIPPED_SECTIONS:
            continue
        for sentence in split_sentences(normalise(raw)):
            if NORMATIVE.search(sentence) and sentence not in seen:
                seen.add(sentence)
                found.append(Sentence(sentence, section))
    return found
