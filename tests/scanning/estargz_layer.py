"""eStargz layers for the tests (written by bench/stargzlayer.py after the published layout)."""

from __future__ import annotations

from bench.stargzlayer import TOC_DIGEST, StargzLayer, footer, stargz_layer

__all__ = ["TOC_DIGEST", "StargzLayer", "footer", "stargz_layer"]
