"""Pure rules over a repository's tags: immutability and the rollback stack."""
