"""Run the reconciler CLI and SIGKILL it right after its K-th HTTP response arrives.

    python tests/harness/kill_after.py K -- apply STACK --auto-approve

The kill happens inside the transport, after the server answered and before any reconciler code
sees the answer: the worst window, a write the server performed whose response is lost. Every
response counts (retries too). K = 0 never kills; the run then ends by printing
`kill_after: N responses` on stderr, which is how the harness measures a clean apply.
Used by `test_kill.py` only; a real kill of a real process, not a mock of the client.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from typing import Any

import httpx2

COUNT_LINE = "kill_after: {} responses"
KILLED_LINE = "kill_after: killed after {} {} -> {}"


def install(kill_after: int) -> list[int]:
    """Wrap httpx's transport; return the live count of responses received."""
    received = [0]
    lock = threading.Lock()
    original = httpx2.HTTPTransport.handle_request

    def handle_request(self: httpx2.HTTPTransport, request: httpx2.Request) -> Any:
        response = original(self, request)
        with lock:
            received[0] += 1
            if received[0] == kill_after:
                print(KILLED_LINE.format(request.method, request.url.path, response.status_code),
                      file=sys.stderr, flush=True)  # fmt: skip
                os.kill(os.getpid(), signal.SIGKILL)
        return response

    httpx2.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]
    return received


def main() -> None:
    kill_after = int(sys.argv[1])
    assert sys.argv[2] == "--", "usage: kill_after.py K -- <reconciler arguments>"
    received = install(kill_after)
    atexit.register(lambda: print(COUNT_LINE.format(received[0]), file=sys.stderr, flush=True))
    sys.argv = ["reconciler", *sys.argv[3:]]
    from reconciler.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
