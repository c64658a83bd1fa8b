"""The client core every Berth client shares: talking to a registry as docker does.
Replication and pull-through reuse it; it imports nothing from `chalicelib`.

Modules, one idea each:

    challenge.py     `WWW-Authenticate` values: the challenges of a 401 (pure)
    credentials.py   who the client is: $BERTH_USERNAME/$BERTH_PASSWORD or the docker config
    token.py         the token flow: a challenge answered with Basic or a Bearer token
    media_types.py   the manifest, config and layer media types clients read and write
    berth_api.py     RegistryClient: the `_berth` extension API the admin commands call
"""
