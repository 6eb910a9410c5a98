"""Run the reconciler CLI and SIGKILL it right after its K-th HTTP response arrives.

    python tests/harness/kill_after.py K -- apply STACK --auto-approve

The kill happens inside the transport, after the server answered and before any reconciler code
sees the answer: the worst window, a write the server performed whose response is lost. Every
response counts (retries too). K = 0 never kills; the run then ends by printing
`kill_after: N responses, M lost` on stderr, which is how the harness measures a clean apply.

With `HARNESS_LOSE_WRITES=RATE` (and `HARNESS_SEED`), that share of the writes the server
performed (2xx) lose their response: the client gets a dropped connection after the write
happened, which no sandbox fault does (its `drop` closes the connection before the route runs).
A real process and a real kill, not a mock of the client; used by the harness tests only.
"""

from __future__ import annotations

import atexit
import os
import random
import signal
import sys
import threading
from typing import Any

import httpx2

COUNT_LINE = "kill_after: {} responses, {} lost"
KILLED_LINE = "kill_after: killed after {} {} -> {}"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Transport:
    """Counts responses, kills at the K-th, loses a seeded share of performed writes' answers."""

    def __init__(self, kill_after: int, lose_writes: float, seed: int) -> None:
        self.kill_after = kill_after
        self.lose_writes = lose_writes
        self.received = 0
        self.lost = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def install(self) -> None:
        original = httpx2.HTTPTransport.handle_request

        def handle_request(transport: httpx2.HTTPTransport, request: httpx2.Request) -> Any:
            response = original(transport, request)
            if self._after(request, response):
                response.close()
                raise httpx2.RemoteProtocolError(
                    "harness: the write was performed but its response was lost", request=request
                )
            return response

        httpx2.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign,assignment]

    def _after(self, request: httpx2.Request, response: httpx2.Response) -> bool:
        """Kill here, or say whether to lose this response."""
        with self._lock:
            self.received += 1
            if self.received == self.kill_after:
                line = KILLED_LINE.format(request.method, request.url.path, response.status_code)
                print(line, file=sys.stderr, flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            performed = request.method in WRITE_METHODS and response.status_code < 300
            lose = performed and self._rng.random() < self.lose_writes
            self.lost += lose
            return lose

    def report(self) -> None:
        print(COUNT_LINE.format(self.received, self.lost), file=sys.stderr, flush=True)


def main() -> None:
    kill_after = int(sys.argv[1])
    assert sys.argv[2] == "--", "usage: kill_after.py K -- <reconciler arguments>"
    lose_writes = float(os.environ.get("HARNESS_LOSE_WRITES", "0"))
    transport = Transport(kill_after, lose_writes, int(os.environ.get("HARNESS_SEED", "0")))
    transport.install()
    atexit.register(transport.report)
    sys.argv = ["reconciler", *sys.argv[3:]]
    from reconciler.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
