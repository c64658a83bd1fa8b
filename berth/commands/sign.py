"""`berth sign REF --key KEY.pem | --kms KEY-ID [--format cosign|cosign-legacy]`: sign an image
the way cosign does (docs/signing.md), with a local private key or an AWS KMS key, and push the
signature through the standard API. A registry whose signing policy trusts the key verifies it
on arrival; `berth verify REF` shows the verdict."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from berth.client.berth_api import registry_url
from berth.client.credentials import find_credentials
from berth.push.content import Manifest
from berth.push.errors import ExitCode, PushError
from berth.push.http import Session, error_of
from berth.push.reference import parse_target
from berth.push.registry import Registry

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def register(commands: Any) -> None:
    sign = commands.add_parser(
        "sign", help="sign an image with a key or a KMS key (cosign's formats)", description=__doc__
    )
    sign.add_argument("reference", metavar="[HOST/]REPO[:TAG|@DIGEST]")
    which = sign.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--key",
        type=Path,
        help="cosign.key or a PEM private key (password: $BERTH_KEY_PASSWORD or $COSIGN_PASSWORD)",
    )
    which.add_argument("--kms", metavar="KEY-ID", help="an asymmetric AWS KMS key id, alias or ARN")
    sign.add_argument(
        "--format",
        choices=("cosign", "cosign-legacy", "notation"),
        default="cosign",
        help="cosign: a v3 Sigstore bundle referrer (default); cosign-legacy: the sha256-*.sig "
        "tag; notation: a Notation JWS signature (needs --cert)",
    )
    sign.add_argument(
        "--cert",
        type=Path,
        help="for notation: the signing certificate then its chain up to the root, PEM",
    )
    sign.add_argument("--registry", help="registry when REF names none (as for the other commands)")
    sign.add_argument("--plain-http", action="store_true", help="HTTP even for a non-loopback host")
    sign.set_defaults(func=run)


def _signer(args: argparse.Namespace) -> Any:
    from berth.signing.keys import KmsKey, LocalKey

    if args.kms:
        return KmsKey(args.kms)
    password = os.environ.get("BERTH_KEY_PASSWORD", os.environ.get("COSIGN_PASSWORD"))
    return LocalKey.load(args.key, password.encode() if password is not None else None)


def run(args: argparse.Namespace) -> int:
    from berth.signing.keys import SigningError
    from chalicelib.signing.cosign_formats import bundle_signature, legacy_signature

    try:
        target = parse_target(args.reference, registry_url(args.registry), args.plain_http)
        signer = _signer(args)
        host = target.registry.split("://", 1)[1]
        session = Session(target.registry, find_credentials(host))
        session.login(f"repository:{target.repository}:pull,push")
        digest, media_type, size = _subject(
            session, target.repository, target.digest or target.tag or "latest"
        )
        name = f"{host}/{target.repository}"
        if args.format == "cosign":
            artifact = bundle_signature(signer, name, digest, media_type, size)
        elif args.format == "notation":
            if args.cert is None:
                raise SigningError("--format notation needs --cert (the certificate chain)")
            from chalicelib.signing.notation_formats import NotationError, jws_signature

            try:
                chain = args.cert.read_bytes()
                artifact = jws_signature(signer, chain, digest, media_type, size, _now())
            except NotationError as error:
                raise SigningError(str(error)) from None
        else:
            artifact = legacy_signature(signer, name, digest)
        registry = Registry(session, target.repository)
        for blob in artifact.blobs:
            _push_blob(registry, blob)
        manifest = Manifest(
            artifact.digest, "application/vnd.oci.image.manifest.v1+json", artifact.manifest
        )
        registry.put_manifest(manifest, artifact.reference)
    except SigningError as error:
        print(f"berth sign: {error}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except OSError as error:
        print(f"berth sign: {error}", file=sys.stderr)
        return int(ExitCode.FAILED)
    except PushError as error:
        print(f"berth sign: {error}", file=sys.stderr)
        return int(error.code)
    except Exception as error:  # KMS refusals (botocore), named rather than a traceback
        print(f"berth sign: {type(error).__name__}: {error}", file=sys.stderr)
        return int(ExitCode.FAILED)
    print(f"signed {target.repository}@{digest}: {args.format} signature {artifact.digest}")
    return 0


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def _subject(session: Session, repository: str, reference: str) -> tuple[str, str, int]:
    """The digest, media type and size to sign. An image a signing policy holds back is not
    served to a caller who may not push (auth off: to anyone), so then ask Berth's signature
    status API, which any puller may read, the same three facts."""
    answer = session.request(
        "HEAD", f"/v2/{repository}/manifests/{reference}", headers={"Accept": ACCEPT}
    )
    digest = answer.header("docker-content-digest")
    if answer.status == 200 and digest:
        return (
            digest,
            answer.header("content-type") or "",
            int(answer.header("content-length") or 0),
        )
    if answer.status == 403:
        status = session.request("GET", f"/v2/{repository}/_berth/signatures/{reference}")
        if status.status == 200:
            import json

            document = json.loads(status.body)
            return str(document["digest"]), str(document["mediaType"]), int(document["size"])
    raise error_of(answer, f"HEAD manifest {reference}")


def _push_blob(registry: Registry, data: bytes) -> None:
    import hashlib

    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    if registry.has_blob(digest):
        return
    session = registry.open_session()
    registry.finish(session.location, digest, body=data, length=len(data), start=0)
