"""The web interface's fixed paths, as app.py declares them: the Function URL front door
(chalicelib/api/front_door.py) matches a request against these as API Gateway matches its
resources, so every page answers behind both doors. tests/web/test_front_doors.py checks this
list against app.py's routes."""

from __future__ import annotations

PAGES = frozenset(
    {
        "/ui",
        "/ui/repository",
        "/ui/image",
        "/ui/history",
        "/ui/rollback",
        "/ui/activity",
        "/ui/pulls-chart",
        "/ui/settings",
        "/ui/admin",
        "/ui/admin/principal",
        "/ui/admin/webhooks",
        "/ui/admin/audit",
        "/ui/account",
        "/ui/iam-link",
        "/ui/link",
        "/ui/login",
        "/ui/logout",
    }
)
STATIC_PREFIX = "/ui/static/"
STATIC_ROUTE = "/ui/static/{filename}"
