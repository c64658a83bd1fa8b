"""`berth serve`: the real Lambda handler behind a real HTTP/1.1 server, storing in moto.

`run()` serves in this process; `spawn()` runs `berth serve` as a child process.
"""

from berth.localserver.server import LocalServer, StartError, run
from berth.localserver.spawn import ServerProcess, spawn

__all__ = ["LocalServer", "ServerProcess", "StartError", "run", "spawn"]
