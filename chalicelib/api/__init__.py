"""The HTTP layer: parse a request, call storage, shape the response or the OCI error."""
