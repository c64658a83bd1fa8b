"""Storage: the metadata table and the S3 blob store, spoken to only through this package.

keys.py owns every key of the one table and models.py its items; raw_items.py reads it raw
for whole-table and whole-partition passes; retry.py is the one retry-on-conflict loop;
gc_fence.py is the pusher's half of garbage collection's protocol. Upload sessions share
upload_sessions.py (ids, lookup) and part_copy.py (server-side assembly); s3_errors.py reads
S3's refusals. The audit log's items are the table's too (audit_event.py, audit_items.py): a
change's caller hands storage the event, storage completes and stages it in the change's
transaction. Storage speaks the domain: it raises errors.py's NotFound / Invalid /
Conflict / Busy, takes digests as oci's typed Digest, and returns records.py's plain
values (blob links, sessions, tags and their moves, manifest summaries: manifest_pages.py
pages through them), never HTTP nor a pynamodb item. It depends on oci/ and
rules/ (pure) only: the HTTP layer, the collector and lifecycle call it, never the reverse
(tests/unit/test_layering.py)."""
