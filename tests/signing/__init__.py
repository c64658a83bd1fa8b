"""Signature verification (chalicelib.signing): formats built in the test with real keys."""
