"""`berth proxy`: a local registry front for stock clients (docker, podman, buildah, skopeo)
that streams their layers to a Berth registry's S3 through the `s3-uploads` extension, so no layer
passes through the registry's Lambda function and its 6 MB request limit; everything else
is forwarded as it is, with the client's own credentials (docs/deploy.md, "CI").

`server` listens and routes, `uploads` serves the upload protocol, `sessions` cuts what
clients send into S3 parts (in `buffers` used again) and hashes it, `send` puts the parts to
S3 through a streamed s3-uploads session (with `berth push`'s client core) and completes the
blob, `links` lets the registry link it in the background and `link_order` holds back the
requests that depend on that, `forward` relays the rest, `cli` is the command."""

from berth.proxy.server import Proxy, StartError, run

__all__ = ["Proxy", "StartError", "run"]
