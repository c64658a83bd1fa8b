"""Berth's benchmark: `python -m bench` (or `make bench`) measures, writes `bench/results.json`
and prints a table. Each measurement lives in its own module; see `bench/__main__.py`."""
