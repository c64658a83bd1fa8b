"""Pull-through cache: repositories under a prefix are filled from an upstream registry on
first pull, then served from S3 like any other (docs/cache.md)."""
