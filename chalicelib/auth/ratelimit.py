"""Failed-login rate limiting: DynamoDB counters per login name and per source address.

A fixed window (`failure_window` seconds): each failed login adds one to the counter of its
name and of its source IP for the current window (`L#name#<sha256>` / `L#ip#<ip>`, sort key
the window's start, TTL two windows later). Before checking a password the gate reads both;
over the limit it answers 429 TOOMANYREQUESTS with `Retry-After` = seconds to the window's
end, WITHOUT checking the password (so guessing is not even attempted). Names are hashed in
the key: people type passwords into the user field, and the table must not keep them.
"""

from __future__ import annotations

import hashlib
import time

from chalicelib.auth.models import CounterItem
from chalicelib.oci.errors import OCIError
from chalicelib.storage.keys import is_login_name, login_ip_pk, login_name_pk


class RateLimited(OCIError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            "TOOMANYREQUESTS",
            "too many failed logins; retry later",
            headers={"Retry-After": str(retry_after)},
        )


def _keys(name: str, source_ip: str | None) -> list[str]:
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    keys = [login_name_pk(digest)]
    if source_ip:
        keys.append(login_ip_pk(source_ip[:64]))
    return keys


def _window(now: float, window: int) -> int:
    return int(now // window) * window


def check(
    name: str,
    source_ip: str | None,
    *,
    max_per_name: int,
    max_per_ip: int,
    window: int,
    now: float | None = None,
) -> None:
    """Raise RateLimited when the name or the address has failed too often this window."""
    current = time.time() if now is None else now
    start = _window(current, window)
    limits = [max_per_name, max_per_ip]
    keys = [(key, str(start)) for key in _keys(name, source_ip)]
    for item in CounterItem.batch_get(keys):
        limit = limits[0] if is_login_name(item.pk) else limits[1]
        if int(item.failures or 0) >= limit:
            raise RateLimited(max(1, int(start + window - current) + 1))


def record_failure(
    name: str, source_ip: str | None, *, window: int, now: float | None = None
) -> None:
    current = time.time() if now is None else now
    start = _window(current, window)
    for key in _keys(name, source_ip):
        CounterItem(key, str(start)).update(
            actions=[
                CounterItem.failures.add(1),
                CounterItem.expires_at.set(start + 2 * window),
            ]
        )
