"""The pull policy's judgement and the compact verdict it reads (pure, hypothesis): a verdict
survives its encoding; a finding at or above the threshold refuses unless a live allow-list
entry names it; findings the verdict could not list always refuse; expired entries are
ignored."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.scanning.finding import Finding
from chalicelib.scanning.pull_policy import AllowEntry, ScanPolicy, judge
from chalicelib.scanning.scan_verdict import MAX_LISTED, decode, verdict_of
from chalicelib.scanning.severity import LEVELS, UNKNOWN, rank

SEVERITIES = [*LEVELS, UNKNOWN]
TODAY = date(2030, 1, 10)

findings_strategy = st.lists(
    st.builds(
        lambda i, p, s: Finding(f"CVE-{i}", f"pkg{p}", "1", s, "", "", "", ""),
        st.integers(0, 400),
        st.integers(0, 3),
        st.sampled_from(SEVERITIES),
    ),
    max_size=400,
)


def counts_at_or_above(found: list[Finding], threshold: str) -> set[tuple[str, str, str]]:
    return {
        (f.id, f.package, f.severity)
        for f in found
        if threshold == UNKNOWN or (f.severity != UNKNOWN and rank(f.severity) >= rank(threshold))
    }


@given(findings_strategy)
def test_a_verdict_survives_its_encoding(found: list[Finding]) -> None:
    verdict = verdict_of(found, "2030-01-01T00:00:00+00:00")
    assert decode(verdict.encode()) == verdict
    assert sum(verdict.counts.values()) == len({(f.severity, f.id, f.package) for f in found})
    assert sum(len(v) for v in verdict.listed.values()) <= MAX_LISTED


@given(
    findings_strategy, st.sampled_from(SEVERITIES), st.sets(st.integers(0, 400)), st.integers(-5, 5)
)
def test_the_threshold_and_the_allow_list(
    found: list[Finding], threshold: str, allowed: set[int], days: int
) -> None:
    until = TODAY + timedelta(days=days)
    policy = ScanPolicy(
        severity=threshold, allow=tuple(AllowEntry(f"CVE-{i}", until) for i in allowed)
    )
    verdict = verdict_of(found, "t")
    refusal = judge(policy, verdict, TODAY)
    live = {f"CVE-{i}" for i in allowed} if until >= TODAY else set()
    blocking = {e for e in counts_at_or_above(found, threshold) if e[0] not in live}
    if not blocking:
        assert refusal is None
    elif len({(f.severity, f.id, f.package) for f in found}) <= MAX_LISTED:
        assert refusal is not None and set(refusal.worst) == blocking and refusal.unnamed == 0
        ranks = [rank(s) if s != UNKNOWN else -1 for _, _, s in refusal.worst]
        assert ranks == sorted(ranks, reverse=True), "worst first"
    else:
        assert refusal is not None  # some unlisted: refused, never let through


def test_not_scanned_and_failed_only_refuse_when_asked() -> None:
    failed = decode('{"v":1,"s":"FAILED","at":"t","c":{},"f":{}}')
    assert failed is not None
    for verdict in (None, failed):
        assert judge(ScanPolicy(severity="LOW"), verdict, TODAY) is None
        refusal = judge(ScanPolicy(unscanned=True), verdict, TODAY)
        assert refusal is not None
        assert refusal.reason == ("unscanned" if verdict is None else "failed")
    assert judge(ScanPolicy(), None, TODAY) is None
    assert decode("not json") is None
