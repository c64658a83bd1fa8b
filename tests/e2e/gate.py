"""A TCP gate in front of a local registry: forwards connections while up; while down it
refuses them (accepts and closes at once) and cuts the ones it was forwarding, the way a
destination that went away looks to a client. Each refusal is announced on a condition,
so a test waits for the moment rather than for a time."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field


@dataclass
class Gate:
    target_port: int
    up: bool = True
    refused: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)
    _open: list[socket.socket] = field(default_factory=list)
    _listener: socket.socket | None = None

    @property
    def port(self) -> int:
        assert self._listener is not None
        return int(self._listener.getsockname()[1])

    def start(self) -> Gate:
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self.set_up(False)

    def set_up(self, up: bool) -> None:
        with self.changed:
            self.up = up
            if not up:
                for sock in self._open:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    sock.close()
                self._open.clear()

    def wait_refused(self, count: int, timeout: float = 60) -> bool:
        """Block until `count` connections were refused (the timeout bounds a failure)."""
        with self.changed:
            return self.changed.wait_for(lambda: self.refused >= count, timeout)

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self.changed:
                if not self.up:
                    client.close()
                    self.refused += 1
                    self.changed.notify_all()
                    continue
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
                self._open += [client, upstream]
            threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(1 << 16):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
