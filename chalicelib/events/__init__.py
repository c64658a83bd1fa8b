"""Registry events: what changed, told to pipelines (EventBridge) and to webhooks.

The source of truth is the committed change. Every change a user can observe (a push, a tag
move, a delete, a rollback, a lifecycle expiry, a referrer attached) already writes an audit
item in the same DynamoDB transaction as the change itself (chalicelib/audit/). The table's
stream carries those items only once their transaction commits, and keeps them for 24 hours
whatever happens to the function that wrote them: so an event is derived from the stream's
audit items, never from a request handler. A failed transaction writes no audit item and so
emits nothing; a function that dies after its commit loses nothing.

Modules:
- `change.py`: the event (pure), decoded from a stream record's audit item.
- `formats.py`: the same event as an EventBridge entry (ECR's style), a Berth webhook body,
  and a CloudEvents 1.0 structured body (pure).
- `signing.py`: Standard Webhooks signatures (pure).
- `targets.py`: which webhook URLs may be called: no loopback, link-local, private or
  metadata addresses unless allowed (pure; resolution is the caller's).
- `backoff.py`: when a failed delivery is tried again, over more than a day (pure).
"""
