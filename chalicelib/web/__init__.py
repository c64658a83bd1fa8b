"""The web interface (docs/web.md): server-rendered HTML under `/ui`, same origin as the API,
served by the same function and by `berth serve`.

- handlers.py: the browsing pages (repositories, tags, image, history and rollback, sign-in),
  reading storage directly as the signed-in principal is allowed to (a repository nobody may
  pull is neither listed nor shown); findings.py the image's scan section,
  pull_policy_section.py its scan pull-policy verdict, badges.py the tags' scan and signature
  badges, charts.py the SVG charts, activity.py a repository's pushes per day, pulls_chart.py its
  approximate pulls per day (an SVG image of its own URL, shown on the repository and
  activity pages);
- admin.py, admin_actions.py, admin_webhooks.py, admin_webhook_actions.py, admin_audit.py:
  administration (registry admins only), through the same functions as the admin API;
- account.py: a user changes their own password; iam_link.py: IAM sign-in through the
  one-time link `berth ui login` opens;
- repository_settings.py: immutability and the lifecycle policy (with its dry-run preview);
- respond.py: what every page shares (HTML answers, redirects, forms, the CSRF check);
- session.py: sign-in with the registry's own users and robots, a session that is a refresh
  token (so it dies with a password change, a revoke or a grant change), CSRF tokens;
- times.py: times for people ("2026-12-04 13:02 UTC (3 h ago)", the exact one in a title);
- html.py: escaping and the page layout (a strict Content-Security-Policy: no inline script
  or style, everything from `/ui/static`);
- static/: the one stylesheet and the small script (search as you type, copy buttons,
  sortable tables).

No build toolchain: the HTML is written by Python, the JavaScript by hand."""
