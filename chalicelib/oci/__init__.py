"""Pure OCI logic: grammar, digests, ranges, manifests. No AWS, no I/O."""
