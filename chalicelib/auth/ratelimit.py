"""Failed-login rate limiting: DynamoDB counters per (login name, source address), per
source address, and per login name across all addresses (a backstop).

Why not per name alone: anyone anywhere could then lock `admin` or a robot out by failing
ten logins for it (issue 11, D7). Keyed by (name, source), a stranger's failures at another
address leave the right secret working; brute force from one source is still stopped at
`max_per_name`, and a source trying many names at `max_per_ip`. The per-name backstop
(`max_per_name_global`, 1000 by default, a hundred times the per-source limit) bounds a
distributed guesser: it takes that many failures in one window, from at least
`max_per_name_global / max_per_ip` addresses, to lock a name out everywhere. Robots and IAM
callers are exempt from it (`random_secret`): their secrets are 256-bit random or STS
signatures, which no number of guesses finds, so a backstop would only hand out lockouts.

A fixed window (`failure_window` seconds): each failed login adds one to each counter for
the current window (sort key the window's start, TTL two windows later). Before checking a
password the gate reads them (one BatchGetItem); over a limit it answers 429
TOOMANYREQUESTS with `Retry-After` = seconds to the window's end, WITHOUT checking the
password (so guessing is not even attempted). Names are hashed in the key: people type
passwords into the user field, and the table must not keep them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from chalicelib.auth.models import CounterItem
from chalicelib.oci.errors import OCIError
from chalicelib.storage.keys import login_ip_pk, login_name_pk, login_name_source_pk

GLOBAL_FACTOR = 100
# Wall clock of the windows; tests inject a fixed one so that no window ends mid-test.
clock: Callable[[], float] = time.time


class RateLimited(OCIError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            "TOOMANYREQUESTS",
            "too many failed logins; retry later",
            headers={"Retry-After": str(retry_after)},
        )


def _digest(*parts: str) -> str:
    joined = "\0".join(parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()[:32]


def _keys(name: str, source_ip: str | None, *, random_secret: bool) -> dict[str, str]:
    """Counter key -> which limit applies to it."""
    source = (source_ip or "")[:64]
    keys = {login_name_source_pk(_digest(name, source)): "name"}
    if source:
        keys[login_ip_pk(source)] = "ip"
    if not random_secret:
        keys[login_name_pk(_digest(name))] = "global"
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
    max_per_name_global: int | None = None,
    random_secret: bool = False,
    now: float | None = None,
) -> None:
    """Raise RateLimited when this name from this source, this source, or (unless the secret
    is random) this name from everywhere has failed too often this window."""
    current = clock() if now is None else now
    start = _window(current, window)
    limits = {
        "name": max_per_name,
        "ip": max_per_ip,
        "global": max_per_name * GLOBAL_FACTOR
        if max_per_name_global is None
        else max_per_name_global,
    }
    keys = _keys(name, source_ip, random_secret=random_secret)
    for item in CounterItem.batch_get([(key, str(start)) for key in keys]):
        if int(item.failures or 0) >= limits[keys[item.pk]]:
            raise RateLimited(max(1, int(start + window - current) + 1))


def record_failure(
    name: str,
    source_ip: str | None,
    *,
    window: int,
    random_secret: bool = False,
    now: float | None = None,
) -> None:
    current = clock() if now is None else now
    start = _window(current, window)
    for key in _keys(name, source_ip, random_secret=random_secret):
        CounterItem(key, str(start)).update(
            actions=[
                CounterItem.failures.add(1),
                CounterItem.expires_at.set(start + 2 * window),
            ]
        )
