"""Lifecycle policies: which manifests a repository keeps and which expire.

policy.py is the pure model (rules -> plan), document.py the JSON form users write,
store.py the per-repository item, executor.py applies a plan with conditional deletes."""
