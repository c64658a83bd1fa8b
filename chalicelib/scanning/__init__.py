"""Vulnerability scanning, pure: what an image holds (inventory) and what is known about it
(matching). No AWS and no HTTP here, so it is tested on bytes and imported only by the scan
consumer, never on the pull/push request path (cold start)."""
