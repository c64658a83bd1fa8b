"""Access control: who may pull, push, delete and administer, on the Docker token auth model.

Modules, one idea each (pure ones import no AWS code):

    scope.py        token scopes and the `WWW-Authenticate: Bearer …` challenge (pure)
    permissions.py  Level, Grant, Principal and grant evaluation (pure)
    tokens.py       ES256 access tokens; signers (why rooted in KMS: see its docstring)
    derived_keys.py the ES256 key derived from a KMS HMAC key (one GenerateMac, no Sign)
    keyring.py      which KMS key signs, which keys verify (rotation; bounded KMS lookups)
    revocations.py  revoked principals, re-read at most every 15 s: the revocation bound
    passwords.py    argon2id hashing, dummy verify for unknown names, secret digests
    principals.py   users, robots, IAM mappings, grants, public patterns (DynamoDB)
    models.py       their pynamodb items, and the key layout
    refresh.py      refresh tokens for `offline_token=true` (DynamoDB)
    iam.py          IAM login: check and replay a presigned sts:GetCallerIdentity
    ratelimit.py    failed-login counters, 429 TOOMANYREQUESTS with Retry-After
    auth_settings.py  BERTH_AUTH, BERTH_SERVICE, BERTH_TOKEN_KEY, TTLs, limits
    aws.py          lazy botocore clients (kms, sts)
    credentials.py  the Authorization header: scheme, Basic credentials (pure)
    process_caches.py  what a warm function remembers: key ring, verifier, revocations,
                    public patterns, verified tokens, Basic logins; `reset`
    decisions.py    may a principal have a scope; a token subject's principal; `Access`
    challenges.py   the refusals: 401 Bearer challenge (and its realm), 403 DENIED
    login.py        username/password, IAM and refresh-token logins (rate-limited, audited)
    authorize.py    `authorize`: the check before every /v2 request
    token_endpoint.py  `issue_token`: the token endpoint's logic
    gate.py         one name for the entry points below (imported only with auth on)

Wired in: `chalicelib.api.router.route` calls `gate.authorize` before every handler when
`BERTH_AUTH` is on (the default; `berth serve` turns it off unless `--auth`), and `/token`
(app.py -> `chalicelib.api.token`) calls `gate.issue_token`. As built, `authorize` returns an
`Access` (subject, principal or token claims; `may`, `may_pull` for mounts and `_catalog`)
or raises `Challenge` (401) / DENIED (403); a Bearer token short of a scope is 401
`insufficient_scope` when a new token would cover it, else 403. What follows is the design
it implements:

    authorize(headers, source_ip, wanted: Sequence[ResourceScope]) -> Principal | Challenge

  Called by the router before a handler, with the scopes the route needs (blob GET:
  `repository:<name>:pull`; upload/manifest PUT: `push`; DELETE: `delete`; mount: `push` on
  the target and `pull` on the source; `_catalog`: `registry:catalog:*`; `/v2/`: none).
  - `Authorization: Bearer <jwt>`: `Verifier.verify` (no AWS call: the key ring's public
    keys are cached per process, a verified token is remembered), the subject's revocation
    (`revocations`), then `permissions.covers(claims.access, w)` for every wanted scope. Bad,
    revoked or expired token: Challenge 401 `error="invalid_token"`; too little access:
    Challenge 401 `error="insufficient_scope"` with the wanted scopes (clients then fetch a
    new token).
  - `Authorization: Basic` (ECS `repositoryCredentials`, preemptive clients): `login()`
    below, then `permissions.allowed` per scope; denied: 403 DENIED. Successful Basic logins
    are cached in memory for the token TTL under an HMAC of the credentials so a warm
    function does not hash a password per request.
  - No header: Challenge 401 with `realm` = `https://<host>/token` (the token endpoint of the
    same app), `service` = BERTH_SERVICE, `scope` = the wanted scopes.
  `Challenge` carries status, OCI code and headers and converts to `OCIError` (the body
  lists the wanted scopes as `detail`, like the CNCF registry). `BERTH_AUTH=off` returns an
  admin principal (the local server's opt-out).

    issue_token(params: Mapping[str, list[str]], headers, source_ip) -> dict

  The token endpoint (`GET /token` with Basic credentials and repeated `scope`, and the
  OAuth2 `POST /token` form: `grant_type=password|refresh_token`, `service`, `scope`
  space-separated, `client_id`, `access_type=offline`). `login()` -> Principal (anonymous
  when no credentials), `principals.public_patterns()` (cache it briefly), then
  `permissions.grant_scopes` (the spec's intersection, never an error), `tokens.issue` with
  `KmsSigner`, and `refresh.create` when `offline_token=true` / `access_type=offline`.
  Answers `{token, access_token, expires_in, issued_at[, refresh_token]}`.

    login(username, password, source_ip) -> Principal        (shared by both)

  `ratelimit.check` first (429 without checking the password); then
  `iam.is_iam_password` -> `iam.caller_identity` -> `principals.iam_principal(arn)`, else
  `principals.authenticate` (users, `robot$<name>`); a failure calls
  `ratelimit.record_failure` and answers 401 UNAUTHORIZED. A refresh token is redeemed with
  `refresh.redeem`, then the subject is loaded again (`principals.load`): the token counts
  only while the principal's generation is the one it was issued under (any password,
  state or grant change, a delete or a re-created name ends it), and its CURRENT grants apply.

Audit records (login, denied request, permission change) go through the audit module of a
later step; nothing here logs a credential, and `TokenError.reason` / `IamError.reason` are
safe to log.
"""
