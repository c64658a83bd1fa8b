"""Storage: the metadata table and the S3 blob store, spoken to only through this package.

keys.py owns every key of the one table and models.py its items; raw_items.py reads it raw
for whole-table and whole-partition passes; retry.py is the one retry-on-conflict loop;
gc_fence.py is the pusher's half of garbage collection's protocol. Storage depends on oci/
and rules/ (pure) only: the HTTP layer, the collector and lifecycle call it, never the
reverse (tests/unit/test_layering.py)."""
