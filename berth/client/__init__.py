"""The client core every Berth client shares: talking to a registry as docker does.

    challenge.py     `WWW-Authenticate` values: the challenges of a 401 (pure)
"""
