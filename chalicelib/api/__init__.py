"""The HTTP layer: parse a request, call storage, shape the response or the OCI error.

A request is parsed once, at its door, into an `HttpRequest` (http.py): `from_chalice` for
API Gateway and the test client, front_door.py for a Function URL event. router.py checks
access and calls the resource's handler; every failure becomes an OCI error there, storage's
domain errors through storage_errors.py, the one table. Handlers receive plain records from
storage and build every Location with locations.py."""
