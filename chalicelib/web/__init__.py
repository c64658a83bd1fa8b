"""The web interface (docs/web.md): server-rendered HTML under `/ui`, same origin as the API,
served by the same function and by `berth serve`.

- handlers.py: one function per page, reading storage directly as the signed-in principal
  is allowed to (a repository nobody may pull is neither listed nor shown);
- session.py: sign-in with the registry's own users and robots, a session that is a refresh
  token (so it dies with a password change, a revoke or a grant change), CSRF tokens;
- html.py: escaping and the page layout (a strict Content-Security-Policy: no inline script
  or style, everything from `/ui/static`);
- static/: the one stylesheet and the small script (search as you type, copy buttons).

No build toolchain: the HTML is written by Python, the JavaScript by hand."""
