"""`berth push`: an OCI layout, oci-archive or docker save tarball to any OCI registry.

source (which kind, which image) -> tree (files of a directory or tar, read in place) ->
layout / docker_save (a PushPlan of blobs and manifests) -> pusher (HEAD, mount, upload in
parallel, manifests) -> uploader (the transport seam: StandardUploader now, S3Uploader for the
direct-to-S3 extension) -> registry (distribution API calls) -> http (connections, errors,
and the token flow of berth.client).
state keeps resume points, progress reports on stderr, errors holds the exit codes.
"""
