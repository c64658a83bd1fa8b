"""Client-side signing (`berth sign`): cosign signatures made with a local key or an AWS KMS
key, in the layouts cosign itself writes (../shared/specs/cosign), pushed through the standard
distribution API. Never ships to Lambda; the registry's verifier is chalicelib/signing/."""
