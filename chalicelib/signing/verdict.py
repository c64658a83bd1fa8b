"""The one answer every verifier gives: verified by whom, or failed and why (never an exception)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """A signature's verdict; `signer` names the trusted key (`sha256:<SPKI digest>`) or the
    certificate subject that signed, `reason` says why it failed (empty when verified)."""

    verified: bool
    format: str
    reason: str = ""
    signer: str = ""
    transparency_log_entry: bool = False


def verified(format: str, signer: str, *, transparency_log_entry: bool = False) -> Verdict:
    return Verdict(True, format, "", signer, transparency_log_entry)


def failed(format: str, reason: str) -> Verdict:
    return Verdict(False, format, reason)
