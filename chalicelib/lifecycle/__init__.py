"""Lifecycle policies: which manifests a repository keeps and which expire (pure logic; the
executor that deletes, and garbage collection, come later)."""
