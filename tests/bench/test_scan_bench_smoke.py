"""Smoke test of the scan measurement at a tiny scale (its own process)."""

from __future__ import annotations

from bench import scanbench


def test_scan_bench_finds_every_generated_package_and_every_finding() -> None:
    section = scanbench.run(mib=4, os_packages=50, language_packages=30, match=100)
    assert section.measured
    image, scan, matching = (section.data[k] for k in ("image", "scan", "matching"))
    assert image["layers"] == 10
    assert scan["packages"] == 80 and scan["problems"] == 0
    # One GET per layer, read whole: every byte of the image.
    assert scan["bytes_read"] == image["bytes"]
    rebuilt = section.data["rebuilt"]
    assert (rebuilt["layers_read"], rebuilt["layers_reused"]) == (1, 9)
    assert rebuilt["layer_bytes_read"] == rebuilt["new_layer_bytes"]
    assert rebuilt["bytes_read"] < rebuilt["bytes"] / 2
    assert rebuilt["packages"] == 100  # 80 below, 20 in the new layer
    chunked = section.data["chunked"]
    assert (chunked["layers_read_by_range"], chunked["packages"]) == (10, 80)
    assert chunked["bytes_read"] < chunked["bytes"] / 2
    stargz = section.data["stargz"]
    assert (stargz["layers_read_by_range"], stargz["packages"]) == (10, 80)
    assert stargz["bytes_read"] < stargz["bytes"] / 2
    assert matching["packages"] == 100 and matching["findings"] == matching["advisories"] == 10
    assert [r.metric.split(":")[0] for r in section.rows[:3]] == ["scan", "scan", "scan"]
    assert section.rows[3].metric.startswith("scan of a rebuild sharing 9 of 10 layers")
    assert section.rows[4].metric.startswith("scan of the same image as zstd:chunked layers")
    assert section.rows[5].metric.startswith("scan of the same image as eStargz layers")
    assert section.rows[6].metric.startswith("matching 100 packages")
