"""Replication out: rules (which repositories and tags, to which destinations), the copy of
an image to a destination (blobs streamed from S3, then manifests, then the tag), the status
of every image at every destination, and the queue handler that retries with backoff."""
