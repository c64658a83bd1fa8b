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
   three-item transaction; only re-pushes of existing objects and mounts pay one GetItem.

The reference index (chalicelib/storage/gc_refs.py) makes a collection cost what changed:
`REF#<digest>` holds one entry per holder, `L#<repo>` for a link (written and deleted in the
link's own TransactWriteItems: a push still makes one write call, of three items instead of
two) and `M#<repo>#<manifest>` for a manifest that lists the blob or whose large body is the
object (written before the manifest's item, deleted after it). Every delete of a holder
first writes a candidate `GCQ#<shard>`/`<name>` (in the unlink's transaction; before a
manifest's delete). An earlier design rejected the index as "one more write per push"; one
more item in a transaction the push makes anyway costs about $0.2/month at 10k pushes.

The incremental collection (chalicelib/gc/incremental.py) reads the candidates (one Query
per shard) and for each one older than the grace period runs the same marker protocol as
above, with a consistent Query of `REF#<name>` in place of the table scan:
     collector: write marker `condemned` -> Query REF#<name> (consistent)
                -> claim -> delete -> `deleted` -> forget the candidate
     pusher:    write the link and its entry (one transaction) -> read the marker
Both still write before they read. An entry whose holder is gone (a consistent GetItem)
and that is older than the grace period is stale (a crashed manifest push, a holder deleted
after a backfill read it) and is dropped; a young one may be a manifest push in progress
and keeps the object. A candidate that is still referenced is simply forgotten (its delete
is conditional on the release time it was read with, so a new release is not lost).

Every path that deletes a holder goes through gc_refs: a blob unlink (API, lifecycle,
immutable-repository checks) through `blobs.stage_unlink`; a manifest delete (API,
replication, the scanner) through storage/manifests.py `delete`, and a lifecycle expiry
(chalicelib/lifecycle/deleter.py) the same way (candidates before, entries dropped after).
What the incremental run does not find, and the full run (`collect(full=True)`, the table
scan and S3 listing above) still does: objects never linked (a push that crashed between its
S3 write and its link), and releases from before the lifecycle deleter wrote candidates.
Both can only leak storage, never lose a referenced object; a periodic full run is the
safety net. Staging is found by listing `uploads/` (in-flight work only) and reading
those sessions by key, not by the scan.

Migration: tables written before the index have no entries. Until the marker `GC`/`index`
says a backfill (chalicelib/gc/reindex.py: a consistent scan writing every entry, in
chunks that each go on from a saved cursor) is complete, the default mode is the full
run. Deploy the index-writing code first, then backfill: entries of links made after the
deploy are written by the pushes themselves.
"""
