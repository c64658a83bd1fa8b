"""Signature verification for the formats people sign images with, from bytes already fetched
(no AWS, no HTTP, no clock: the caller passes the time). Each verifier answers a `Verdict`
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

Not in this package (next steps of issue 13): trust policy storage per repository pattern,
verification when a signature is pushed (the verdict stored with signature and subject, so the
pull path reads it without cryptography), the pull policy (`audit`/`enforce`), managed signing
with KMS, and the status API. Nothing on the request path imports this package.
"""
