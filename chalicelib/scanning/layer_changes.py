"""What one layer changes in the files the inventory cares about: the wanted files it adds and
every path it deletes (whiteouts), kept apart because a whiteout hides only lower layers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LayerChanges:
    """`files` maps a normalised path to its bytes; `deleted` holds the paths a `.wh.<name>`
    removes (with everything below them); `opaque` the directories whose lower content a
    `.wh..wh..opq` hides. `skipped` names wanted files too large to keep; `problems` the
    executables and archives whose package evidence could not be read."""

    files: dict[str, bytes] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    opaque: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
