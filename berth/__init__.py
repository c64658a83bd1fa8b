"""Berth's client-side tools: the `berth` command and the local server. Never shipped to Lambda."""
