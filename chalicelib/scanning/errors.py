"""The one error the scanning code raises for bad input, so callers can skip a corrupt package
database or layer without catching everything."""

from __future__ import annotations


class ScanInputError(ValueError):
    """A layer, package database or advisory that cannot be read as what it claims to be."""
