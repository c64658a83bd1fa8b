"""The registry's signature trust policy: which repositories (glob patterns, first match wins)
require signatures from which keys or certificate authorities, and what happens without one
(`off`, `audit`: serve and record, `enforce`: refuse the pull).

A rule trusts PEM public keys (named by their key id, `sha256:<SPKI digest>`, computed once when
the policy is set so the pull path never loads `cryptography`), and root certificates (Notation
trust stores, cosign certificates) optionally narrowed to certificate subjects. Pure: the
document is parsed and validated here; storage keeps it (chalicelib/storage/trust_policy.py)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MODES = ("off", "audit", "enforce")
MAX_RULES = 50
MAX_PEM_BYTES = 16 * 1024
MAX_ENTRIES = 20


class PolicyError(ValueError):
    """The policy document is not valid; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class TrustRule:
    repositories: str  # a glob over repository names (`team/*`, `*`)
    mode: str
    keys: tuple[str, ...] = ()  # PEM public keys
    key_ids: tuple[str, ...] = ()  # their `sha256:<SPKI digest>`, in the same order
    roots: tuple[str, ...] = ()  # PEM root certificates
    subjects: tuple[str, ...] = ()  # allowed certificate subjects (RFC 4514); empty: any
    # Keyless identities (cosign with Fulcio certificates), `<OIDC issuer>|<email or URI>`:
    # allowed like subjects (chalicelib/signing/certificate_chain.py: subject_of).
    identities: tuple[str, ...] = ()
    # Managed signing: a KMS key the registry signs every pushed image with (its public key is
    # added to `keys` when the policy is set, so what it signs is trusted).
    sign_with: str = ""
    # With `sign_with`: the KMS key's certificate and its chain (PEM), to add a Notation JWS
    # signature on push as well.
    sign_certificates: str = ""

    def applies_to(self, repository: str) -> bool:
        return fnmatch.fnmatchcase(repository, self.repositories)

    def trusts(self, signer: str) -> bool:
        """Is a verified signer (a key id, or `x509:<subject>`) trusted by this rule now?"""
        if signer in self.key_ids:
            return True
        subject = signer.removeprefix(X509_PREFIX)
        if subject == signer or not self.roots:
            return False
        if not self.subjects and not self.identities:
            return True
        return subject in self.subjects or subject in self.identities

    def signed_by(self, entries: Iterable[str]) -> list[str]:
        """The signers of stored `signers` entries (`<signature digest> <signer>`) that this
        rule trusts now: removing a key takes effect at once, without verifying again."""
        return sorted({s for s in (e.partition(" ")[2] for e in entries) if self.trusts(s)})

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"repositories": self.repositories, "mode": self.mode}
        if self.keys:
            out["keys"] = list(self.keys)
            out["keyIds"] = list(self.key_ids)
        if self.roots:
            out["roots"] = list(self.roots)
        if self.subjects:
            out["subjects"] = list(self.subjects)
        if self.identities:
            out["identities"] = [
                dict(zip(("issuer", "subject"), i.split("|", 1), strict=True))
                for i in self.identities
            ]
        if self.sign_with:
            out["signWith"] = self.sign_with
        if self.sign_certificates:
            out["signCertificates"] = self.sign_certificates
        return out


X509_PREFIX = "x509:"


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    rules: tuple[TrustRule, ...] = ()
    version: int = 0
    updated_by: str | None = field(default=None, compare=False)

    def rule_for(self, repository: str) -> TrustRule | None:
        """The first rule whose pattern matches, or None (no signature requirement)."""
        return next((r for r in self.rules if r.applies_to(repository)), None)

    def mode_for(self, repository: str) -> str:
        rule = self.rule_for(repository)
        return rule.mode if rule is not None else "off"

    def document(self) -> dict[str, Any]:
        return {"version": self.version, "rules": [r.document() for r in self.rules]}


def parse_policy(document: object, key_id_of: Any) -> TrustPolicy:
    """Validate a policy document (`{"rules": [...]}`); `key_id_of(pem) -> str | None` names a
    PEM public key (None: not a supported key). Raises PolicyError naming the bad field."""
    if not isinstance(document, dict) or set(document) - {"rules", "version"}:
        raise PolicyError('the policy is a JSON object {"rules": [...]}')
    rules = document.get("rules")
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise PolicyError(f"'rules' must be a list of at most {MAX_RULES} rules")
    return TrustPolicy(tuple(_rule(i, r, key_id_of) for i, r in enumerate(rules)))


_FIELDS = {
    "repositories",
    "mode",
    "keys",
    "keyIds",
    "roots",
    "subjects",
    "identities",
    "signWith",
    "signCertificates",
}


def _rule(index: int, raw: object, key_id_of: Any) -> TrustRule:
    where = f"rules[{index}]"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} must be an object")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise PolicyError(f"{where} has unknown field {unknown[0]!r}")
    pattern = raw.get("repositories")
    if not isinstance(pattern, str) or not pattern or len(pattern) > 256:
        raise PolicyError(f"{where}.repositories must be a repository name or glob")
    mode = raw.get("mode")
    if mode not in MODES:
        raise PolicyError(f"{where}.mode must be one of {', '.join(MODES)}")
    keys = _texts(raw, "keys", where)
    roots = _texts(raw, "roots", where)
    subjects = _texts(raw, "subjects", where)
    ids = []
    for n, pem in enumerate(keys):
        key_id = key_id_of(pem.encode())
        if key_id is None:
            raise PolicyError(
                f"{where}.keys[{n}] is not a PEM public key (ECDSA P-256/P-384, RSA or Ed25519)"
            )
        ids.append(key_id)
    if mode != "off" and not keys and not roots:
        raise PolicyError(f"{where} in mode {mode} needs trusted 'keys' or 'roots'")
    identities = _identities(raw.get("identities", []), where)
    if (subjects or identities) and not roots:
        raise PolicyError(f"{where}.subjects and .identities narrow 'roots', which are missing")
    sign_with = raw.get("signWith", "")
    if not isinstance(sign_with, str) or len(sign_with) > 2048:
        raise PolicyError(f"{where}.signWith must be a KMS key id, alias or ARN")
    certificates = raw.get("signCertificates", "")
    if not isinstance(certificates, str) or len(certificates) > MAX_PEM_BYTES * 4:
        raise PolicyError(f"{where}.signCertificates must be a PEM certificate chain")
    if certificates and not sign_with:
        raise PolicyError(f"{where}.signCertificates needs signWith (the key they certify)")
    return TrustRule(
        pattern, str(mode), keys, tuple(ids), roots, subjects, identities, sign_with, certificates
    )


def _identities(value: object, where: str) -> tuple[str, ...]:
    """Keyless identities: `[{"issuer": OIDC issuer URL, "subject": email or URI}]`."""
    message = f'{where}.identities must be a list of {{"issuer": ..., "subject": ...}}'
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise PolicyError(message)
    found = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"issuer", "subject"}:
            raise PolicyError(message)
        issuer, subject = entry["issuer"], entry["subject"]
        if not all(isinstance(v, str) and 0 < len(v) <= 1024 for v in (issuer, subject)):
            raise PolicyError(message)
        if "|" in issuer:
            raise PolicyError(f"{where}.identities: an issuer cannot contain '|'")
        found.append(f"{issuer}|{subject}")
    return tuple(found)


def _texts(raw: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = raw.get(name, [])
    if (
        not isinstance(value, list)
        or len(value) > MAX_ENTRIES
        or not all(isinstance(v, str) and 0 < len(v) <= MAX_PEM_BYTES for v in value)
    ):
        raise PolicyError(f"{where}.{name} must be a list of at most {MAX_ENTRIES} strings")
    return tuple(value)


def from_stored(document: dict[str, Any], version: int) -> TrustPolicy:
    """A policy read back from storage (validated when it was set; key ids already there)."""
    rules = []
    for raw in document.get("rules", []):
        rules.append(
            TrustRule(
                str(raw["repositories"]),
                str(raw["mode"]),
                tuple(raw.get("keys", ())),
                tuple(raw.get("keyIds", ())),
                tuple(raw.get("roots", ())),
                tuple(raw.get("subjects", ())),
                tuple(f"{i['issuer']}|{i['subject']}" for i in raw.get("identities", ())),
                str(raw.get("signWith", "")),
                str(raw.get("signCertificates", "")),
            )
        )
    return TrustPolicy(tuple(rules), version)
