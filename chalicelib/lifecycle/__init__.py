"""Lifecycle policies: which manifests a repository keeps and which expire.

policy.py is the pure model (rules -> plan), document.py the JSON form users write,
store.py the per-repository item. A run (executor.py, one repository or all) reads a
snapshot (snapshot.py), plans over it (planning.py), deletes with conditions
(deleter.py) and answers reports (reports.py); schedule.py is the daily run."""
