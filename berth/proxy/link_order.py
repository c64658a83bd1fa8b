"""Which forwarded requests wait for the links under way (links.py), so that a client that
was told 201 for a blob finds it linked: a HEAD, GET or DELETE of the blob, and a manifest
PUT in its repository. A manifest that names a blob whose link failed is refused with the
reason (MANIFEST_BLOB_UNKNOWN, as the registry would refuse it, but saying why), and the
client's next push uploads the blob again; one that does not name it goes on as it is."""

from __future__ import annotations

from berth.localserver.bodies import Body, Prepended
from berth.localserver.messages import GatewayRequest, GatewayResponse
from berth.proxy.forward import MAX_FORWARDED_BODY
from berth.proxy.links import Links
from berth.proxy.uploads import error_response
from chalicelib.oci.errors import OCIError
from chalicelib.oci.paths import Endpoint, Resource


def wait_for_links(
    links: Links, endpoint: Endpoint, request: GatewayRequest, body: Body
) -> tuple[GatewayResponse | None, Body]:
    """Wait for the links `request` depends on; a refusal if it is a manifest naming a blob
    whose link failed, and the body to forward (what was read to tell, put back)."""
    if endpoint.resource is Resource.BLOB:
        links.wait(endpoint.name, endpoint.argument)
        return None, body
    if endpoint.resource is not Resource.MANIFEST or request.method != "PUT":
        return None, body
    failed = links.wait(endpoint.name)
    if not failed:
        return None, body
    manifest = body.read(MAX_FORWARDED_BODY + 1)
    named = {digest: reason for digest, reason in failed.items() if digest.encode() in manifest}
    if not named:
        return None, Prepended(manifest, body)
    digest, reason = next(iter(named.items()))
    message = (
        f"berth proxy: blob {digest} was received, but the registry did not link it "
        f"({reason}); push again"
    )
    return error_response(OCIError("MANIFEST_BLOB_UNKNOWN", message, detail=digest)), body
