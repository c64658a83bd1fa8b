"""Anonymous visitors: with auth on, someone who has not signed in may still browse the
repositories anyone may pull (a public pattern matching them, as for an anonymous `docker
pull`), read-only; when no repository is public there is nothing to show them but the sign-in
page. The patterns come from the process's cache the pull path's own authorisation uses
(chalicelib/auth/process_caches.py: one Query of a small partition, at most every 30 s, read
again at once when a pattern is made public or private), so a visitor's page adds no scan."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.web.session import Viewer


def anonymous_visitor() -> Viewer | None:
    """A read-only viewer holding only what the public patterns give everyone, or None when
    no repository is public."""
    from chalicelib.auth import gate
    from chalicelib.auth.permissions import ANONYMOUS
    from chalicelib.web.session import Viewer

    if not gate.public_patterns():
        return None
    return Viewer(ANONYMOUS)


def is_public(repository: str) -> bool:
    """Whether anyone may pull `repository` (the repositories page's Visibility column)."""
    from chalicelib.auth import gate
    from chalicelib.auth.permissions import matches

    return any(matches(pattern, repository) for pattern in gate.public_patterns())
