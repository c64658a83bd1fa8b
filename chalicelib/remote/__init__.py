"""Talking to other registries from the runtime (replication out): the challenge parser and
token flow every client of Berth shares (berth/client imports them from here), the HTTP
transport, ECR's login and push API, and the distribution calls a replica needs."""
