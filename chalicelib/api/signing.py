"""Berth extension: signature verification (docs/signing.md).

- `GET /v2/_berth/signing/policy`: the trust policy (registry admins).
- `PUT /v2/_berth/signing/policy`: replace it, `{"rules": [{"repositories": "team/*", "mode":
  "off|audit|enforce", "keys": [PEM], "roots": [PEM], "subjects": [RFC 4514]}]}`; every
  signature it covers is verified again.
- `GET /v2/<name>/_berth/signatures/<digest or tag>`: who signed the image, verified or why
  not (pull on the repository)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.api.http import HttpRequest, json_body, json_response
from chalicelib.oci.digest import is_digest, parse_digest
from chalicelib.oci.errors import OCIError
from chalicelib.oci.reference import check_tag
from chalicelib.signing.trust_policy import PolicyError, TrustPolicy, parse_policy
from chalicelib.storage import manifests, repositories, signatures, trust_policy

# Repositories re-verified in the request that changes the policy; past this the answer says
# so and `berth signing reevaluate` finishes the job.
MAX_REEVALUATED = 500


def get_policy(request: HttpRequest, _name: str, _argument: str) -> Response:
    policy = trust_policy.get()
    document = {**policy.document(), "updatedBy": policy.updated_by}
    return json_response(200, document, head=request.method == "HEAD")


def put_policy(request: HttpRequest, _name: str, _argument: str) -> Response:
    from chalicelib.signing.public_keys import key_id, load_public_key

    def key_id_of(pem: bytes) -> str | None:
        key = load_public_key(pem)
        return key_id(key) if key is not None else None

    try:
        document = _with_signing_keys(json_body(request, "the signing policy"))
        policy = parse_policy(document, key_id_of)
    except PolicyError as error:
        raise OCIError("UNSUPPORTED", f"signing policy: {error}", status=400) from None
    from chalicelib.audit import record

    actor = record.actor(request)
    stored = trust_policy.put(policy, None if actor == "-" else actor)
    _audit(request, stored.version)
    checked, done = reevaluate_all(stored)
    return json_response(200, {**stored.document(), "reevaluated": checked, "complete": done})


def _with_signing_keys(document: Any) -> Any:
    """KMS keys become the PEM public keys they have (one GetPublicKey each, when the policy is
    set): a `keys` entry naming a KMS key (`arn:aws:kms:…`, `alias/…`), and the `signWith` key
    of a rule that signs on push, which that rule therefore trusts."""
    rules = document.get("rules") if isinstance(document, dict) else None
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        keys = rule.get("keys", [])
        if isinstance(keys, list):
            rule["keys"] = [
                _kms_public_pem(k, f"rules[{index}].keys[{n}]") if _names_kms(k) else k
                for n, k in enumerate(keys)
            ]
        key_id = rule.get("signWith")
        if isinstance(key_id, str) and key_id:
            public = _kms_public_pem(key_id, f"rules[{index}].signWith")
            if isinstance(rule["keys"], list) and public not in rule["keys"]:
                rule["keys"] = [*rule["keys"], public]
    return document


def _names_kms(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("arn:aws:kms:", "alias/"))


def _kms_public_pem(key_id: str, where: str) -> str:
    from chalicelib.signing.kms_signer import SigningError
    from chalicelib.storage.managed_signing import signer_for

    try:
        return signer_for(key_id).public_pem().decode()
    except SigningError as error:
        raise PolicyError(f"{where}: {error}") from None
    except Exception as error:  # KMS refused: not found, no permission
        raise PolicyError(f"{where}: KMS key {key_id}: {error}") from None


def reevaluate_all(policy: TrustPolicy) -> tuple[int, bool]:
    """Verify every signature of every repository again (up to MAX_REEVALUATED repositories);
    how many signatures were checked, and whether every repository was reached."""
    checked, after, seen = 0, None, 0
    while True:
        names, more = repositories.list_names(after, 100)
        for name in names:
            if seen >= MAX_REEVALUATED:
                return checked, False
            checked += signatures.reevaluate(name, policy)
            seen += 1
        if not more or not names:
            return checked, True
        after = names[-1]


def _audit(request: HttpRequest, version: int) -> None:
    from chalicelib.audit import record, store

    store.write(record.event(request, "signing-policy", detail={"version": version}))


def status(request: HttpRequest, name: str, reference: str) -> Response:
    if is_digest(reference):
        try:
            wanted = parse_digest(reference)
        except OCIError:
            wanted = None  # no manifest has a malformed digest: unknown, as before
        stored = manifests.by_digest(name, wanted) if wanted is not None else None
    else:
        stored = manifests.by_tag(name, check_tag(reference))
    if stored is None:
        raise OCIError(
            "MANIFEST_UNKNOWN",
            f"manifest {reference[:200]} is not in repository {name}",
            detail={"reference": reference[:200]},
        )
    digest = stored.digest
    policy = trust_policy.get()
    rule = policy.rule_for(name)
    mode = rule.mode if rule is not None else "off"
    trusted = rule.signed_by(stored.signers) if rule is not None else []
    document = {
        "repository": name,
        "digest": str(digest),
        "mediaType": stored.media_type,
        "size": len(stored.body),
        "policy": {
            "mode": mode,
            "version": policy.version,
            "repositories": rule.repositories if rule is not None else None,
        },
        "signedBy": trusted,
        "satisfied": bool(trusted) if mode != "off" else None,
        "signatures": signatures.verdicts_for(name, digest),
    }
    return json_response(200, document, head=request.method == "HEAD")
