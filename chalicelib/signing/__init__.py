"""Signature verification for the formats people sign images with, from bytes already fetched
(no AWS, no HTTP, no clock: the caller passes the time; the one exception is kms_signer.py,
a KMS key as a signer for `berth sign --kms` and managed signing). Each verifier answers a `Verdict`
(verdict.py), never an exception, and names the trusted key or certificate subject that signed.

Formats:
- cosign_simple_signing: cosign's legacy `sha256-<hex>.sig` manifest, a simple-signing JSON
  payload per layer signed by the layer's `dev.cosignproject.cosign/signature` annotation,
  against trusted PEM public keys (public_keys.py), or by the certificate in the layer's
  annotations chaining to a trusted root (Rekor bundle annotations are not read).
- sigstore_bundle: cosign v3's Sigstore bundle v0.3, a DSSE envelope (dsse.py: PAE) over an
  in-toto statement naming the image; a public-key hint or a certificate chaining to a trusted
  root (certificate_chain.py, `cryptography.x509.verification`). Rekor entries are reported,
  not verified; keyless identity (issuer + subject) matching is not here.
- notation_jws: Notation's JWS JSON envelope, `notary.x509` scheme, x5c chain to trust-store
  roots, leaf requirements in notation_certificate.py, algorithms in notation_algorithms.py.
- notation_cose: Notation's COSE_Sign1 envelope, read by the small CBOR decoder in cbor.py
  (no new dependency). Neither Notation verifier reads RFC 3161 timestamp countersignatures,
  so `notary.x509.signingAuthority` signatures are refused as unsupported.

Around them: trust_policy.py (the policy document: rules per repository pattern, modes, key
ids), artifacts.py (which pushed manifest is which signature, and one `verify` over a rule),
cosign_formats.py (cosign's layouts, built for `berth sign` and managed signing). Storage keeps
the policy and the verdicts (chalicelib/storage/trust_policy.py, signatures.py); the pull path
imports only trust_policy.py, and `cryptography` loads only when a signature is verified.
"""
