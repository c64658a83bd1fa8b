"""Online garbage collection: delete what nothing references while pushes go on.

What is collected (chalicelib/gc/collect.py):
- blob objects `blobs/<alg>/<hex>` that no repository links and no manifest lists, older
  (S3 LastModified) than the grace period;
- staging objects `uploads/<id>/...` of sessions that are gone or dead, older than the grace
  period, and the session items DynamoDB's TTL has not removed yet;
- large manifests' objects `manifests/<alg>/<hex>` that no manifest item names (released by
  a manifest DELETE or a lifecycle policy), older than the grace period, through the same
  markers as blobs (named by key); a push of a large manifest writes its object, commits
  its item, then reads the marker and writes the object again if it may be gone.

Why a push can never end with a manifest pointing at a deleted blob:

1. A push that writes a blob's object itself links it within one request (Lambda runs at
   most 15 min), far inside the grace period (1 h): a fresh object is never a candidate.
   A crash between the write and the link leaves an unlinked object, collected after the
   grace period.
2. The hard case is an old, unreferenced object that a push finds already there (a re-push
   of a layer whose links were all deleted, or a mount) and links while a collection is
   deleting it. The age test cannot help: the object is old. It is closed Dekker-style with
   one marker item per candidate, `GC#<digest>` (the collector's side chalicelib/gc/guard.py,
   the pusher's chalicelib/storage/gc_fence.py):
     collector: write marker `condemned` -> read every link again (consistent scan)
                -> claim `condemned`->`deleting` (conditional) -> delete -> `deleted`
     pusher:    write the link -> read the marker (consistent)
   Both write before they read, so at least one sees the other: either the second scan
   sees the link and spares the blob, or the pusher sees the marker. A `condemned` marker
   the pusher deletes (its veto: the claim's condition then fails); `deleting`/`deleted`
   means the object is or will be gone, so the pusher writes it again from the bytes it
   holds (a mount, which holds none, withdraws its link and answers with an upload session).
   Markers stay (TTL two days) after the delete, so a pusher that found the object just
   before it went still sees `deleted`.
3. One collection runs at a time (a lease item): with a single collector, an object a push
   wrote itself (`fresh`) cannot be deleted by a claim made before it existed, so fresh
   pushes skip the marker read. A monolithic push of a new blob stays at one S3 PUT and one
   two-item transaction; only re-pushes of existing objects and mounts pay one GetItem.

Why not a global reverse index (`BLOB#<digest>` written in the link transaction, or a GSI on
links)? The first makes every blob push three writes instead of two; a GSI is eventually
consistent, so a re-check through it can miss a link written a moment ago — exactly the race.
The collector's consistent scan costs reads proportional to the table, paid by the
collector (hourly), not by pushes.
"""
