"""`berth proxy`: a local registry front for stock clients (docker, podman, buildah, skopeo)
that pushes their layers to a Berth registry through the `s3-uploads` extension, so no layer
passes through the registry's Lambda function and its 6 MB request limit; everything else
is forwarded as it is, with the client's own credentials (docs/deploy.md, "CI").

`server` listens and routes, `uploads` serves the upload protocol, `sessions` spools what
clients send, `send` hands a finished blob to `berth push`'s uploader, `forward` relays the
rest, `cli` is the command."""

from berth.proxy.server import Proxy, StartError, run

__all__ = ["Proxy", "StartError", "run"]
