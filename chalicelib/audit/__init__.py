"""The audit log: who did what, when, from where, and how it ended.

Recorded (and nothing else; pulls and HEADs are not, they are the hot path):

    push          a manifest PUT, with the tags it moved (tag, from, to)
    rollback      a tag moved back (`_berth/rollback`)
    delete        a manifest, a tag or a blob link deleted
    <admin verb>  every change through the admin API (user.create, grant, public.add, …)
    login         a login, successful or failed (token endpoint, Basic on /v2)
    denied        a 403, or a 401 for a bad or expired Bearer token

Each event is stored once per key it can be looked up by, in the metadata table:
`AUDIT#R#<repository>` and `AUDIT#P#<principal>` (the actor; for admin changes also the
principal changed), sort key `<ISO time, microseconds>#<nonce>`, so a query by repository or
by principal is one Query, newest first. Items expire through the table's TTL attribute
after `BERTH_AUDIT_RETENTION_DAYS` (default 90).

Writes ride on what the request writes anyway where there is a write: a push's items are in
the manifest PUT's TransactWriteItems (no extra call; a push that fails records nothing),
deletes and rollbacks in theirs. The handler builds the event (who, from where, what) with
`record.event` and hands it to storage, which completes it with what the change did (the
tags moved or deleted) and stages it in its transaction. Admin changes add one
BatchWriteItem.

Logins and denials are bounded (`throttle.py`): an attacker must not turn failed requests
into writes. Each function instance writes at most one record per (event, principal, source
address) per `BERTH_AUDIT_BOUND_SECONDS` (default 60), carrying the count of the events it
stands for. Logins and denials exist only with auth on; pushes, deletes, rollbacks are
audited either way (with auth off their actor is `-`).

Modules: `events.py` (pure: cleaning what callers choose; the event and its keys live in
chalicelib/storage/audit_event.py), `models.py` (the item, which lives with the table's other
items in chalicelib/storage/audit_items.py, as does staging one in a transaction),
`store.py` (write, query), `throttle.py`, `record.py` (events from requests).
"""
