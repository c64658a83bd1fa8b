"""Lifecycle policies: which manifests a repository keeps and which expire.

policy.py is the pure model (rules -> plan), document.py the JSON form users write,
store.py the per-repository item. A run (executor.py, one repository or all) reads a
snapshot (snapshot.py), plans over it (planning.py), deletes with conditions
(deleter.py) and answers reports (reports.py); schedule.py is the daily run.

The daily run's cost is proportional to what changed, not to the registry (index.py). A
repository is planned again only when (a) something its plan reads changed — a manifest
pushed or deleted, a tag moved, rolled back or deleted, its policy or tag settings put —
or (b) an age rule can expire something that it could not at the last plan: the planner
stores that moment (policy.next_change). Pulls only delay expiry, so a due time computed
from the last pull seen is early, never late; tag history has no TTL, so rollback windows
move only with tag moves, which are changes.

The design: a small entry per repository in LIFECYCLE_DUE_SHARDS sharded partitions
`LCDUE#<n>`, set due (and its change counter bumped) by an item added to the transaction
the change makes anyway (chalicelib/storage/lifecycle_due.py: no extra round trip, and no
change without its mark), read by one consistent Query per shard filtered on the due time.
Strongly consistent, unlike a sparse GSI on the repository item, and no infra change. The
planner resets the entry conditioned on its counter being what it read before the snapshot:
a change during planning leaves it due. Like garbage collection's index (chalicelib/gc/),
a marker says the index is complete; until then (after an upgrade) the daily run plans every
repository with a policy, writing their entries. `lifecycle run --all` always plans all."""
