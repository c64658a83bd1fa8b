"""Smoke test of the proxy measurement at a small size: skopeo and podman push through
`berth proxy` to `berth serve --lambda-limits --auth` with the admin's credentials, and the
section has the rows the report prints. Each layer (8 MiB) is over the ~4.4 MiB a request may
carry under --lambda-limits, so a push that succeeds went through the proxy's S3 path."""

from __future__ import annotations

import pytest

from bench import proxybench

pytestmark = pytest.mark.e2e


def test_proxy_bench_pushes_with_credentials_through_the_proxy_and_reports_both_clients() -> None:
    section = proxybench.run(16, layers=2)

    assert section.measured
    data = section.data
    for key in (
        "berth_push_s",
        "skopeo_through_proxy_s",
        "podman_direct_s",
        "podman_through_proxy_s",
    ):
        assert float(data[key]) > 0, key
    assert 0 < float(data["proxy_peak_rss_mib"]) < proxybench.RSS_TARGET_MB
    assert 0 < float(data["podman_proxy_peak_rss_mib"]) < proxybench.RSS_TARGET_MB
    assert [row.metric for row in section.rows] == [
        "skopeo through berth proxy, 16 MiB in 2 layers, --lambda-limits --auth",
        "  peak RSS of berth proxy",
        "podman push through berth proxy, --lambda-limits --auth",
        "  peak RSS of berth proxy under podman",
    ]
