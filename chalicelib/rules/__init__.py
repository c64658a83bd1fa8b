"""Pure rules over a repository's tags: immutability, the rollback stack, and the history
vocabulary (history.py) that storage writes and these rules read."""
