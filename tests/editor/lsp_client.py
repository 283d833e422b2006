"""A small Language Server Protocol client over stdio, for driving yaml-language-server in tests.

Messages are JSON-RPC 2.0 with ``Content-Length`` framing. A reader thread parses the server's output into a queue;
every wait has a timeout, so a hung or crashed server fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional


class LspError(AssertionError):
    """The server did not answer in time, answered with an error, or exited."""


class LspClient:
    """One language-server process. Use as a context manager: the process is always ended on exit.

    ``settings`` answers the server's ``workspace/configuration`` requests, by section (``{"yaml": {...}}``).
    """

    def __init__(self, command: list[str], cwd: Path, timeout: float = 20.0, settings: Optional[dict] = None):
        self.timeout = timeout
        self.settings = settings or {}
        self._proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        self._messages: queue.Queue[Optional[dict]] = queue.Queue()
        self._next_id = 0
        self._stderr: list[bytes] = []
        self.notifications: list[dict] = []
        self._threads = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._drain_stderr, daemon=True)]
        for t in self._threads:
            t.start()

    def __enter__(self) -> "LspClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- wire ---------------------------------------------------------------------------------------------------

    def _read(self) -> None:
        out = self._proc.stdout
        assert out is not None
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                body = out.read(length)
                if len(body) < length:
                    return
                self._messages.put(json.loads(body))
        finally:
            self._messages.put(None)

    def _drain_stderr(self) -> None:
        err = self._proc.stderr
        assert err is not None
        for line in err:
            self._stderr.append(line)

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            stdin.flush()
        except BrokenPipeError:
            raise LspError(f"the server exited (code {self._proc.poll()}){self._stderr_tail()}") from None

    def _stderr_tail(self) -> str:
        tail = b"".join(self._stderr[-20:]).decode("utf-8", "replace").strip()
        return f"; its standard error ends with:\n{tail}" if tail else ""

    def _next(self, deadline: float, waiting_for: str) -> dict:
        """The next message from the server; answers the server's own requests on the way."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LspError(f"no {waiting_for} from the server within {self.timeout:g} s{self._stderr_tail()}")
            try:
                msg = self._messages.get(timeout=left)
            except queue.Empty:
                continue
            if msg is None:
                raise LspError(f"the server exited while waiting for {waiting_for} (code {self._proc.poll()})"
                               f"{self._stderr_tail()}")
            if "method" in msg and "id" in msg:
                # A request from the server: its settings, or one that needs no answer but null
                # (client/registerCapability, window/workDoneProgress/create ...).
                result: Any = None
                if msg["method"] == "workspace/configuration":
                    result = [self.settings.get(item.get("section")) for item in msg["params"]["items"]]
                self._send({"id": msg["id"], "result": result})
                continue
            return msg

    # -- API ----------------------------------------------------------------------------------------------------

    def request(self, method: str, params: Any) -> Any:
        """Sends a request and returns its result; raises LspError on an error answer or a timeout."""
        self._next_id += 1
        rid = self._next_id
        self._send({"id": rid, "method": method, "params": params})
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._next(deadline, f"answer to {method}")
            if msg.get("id") == rid and "method" not in msg:
                if "error" in msg:
                    raise LspError(f"{method} failed: {msg['error']}")
                return msg.get("result")
            if "method" in msg:
                self.notifications.append(msg)

    def notify(self, method: str, params: Any) -> None:
        """Sends a notification (no answer expected)."""
        self._send({"method": method, "params": params})

    def wait_notification(self, method: str, accept: Callable[[dict], bool] = lambda p: True) -> dict:
        """Returns the params of the first notification ``method`` (already received or coming) that ``accept``s."""
        for msg in self.notifications:
            if msg["method"] == method and accept(msg.get("params", {})):
                self.notifications.remove(msg)
                return msg.get("params", {})
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._next(deadline, method)
            if msg.get("method") == method and accept(msg.get("params", {})):
                return msg.get("params", {})
            if "method" in msg:
                self.notifications.append(msg)

    def close(self) -> None:
        """Asks the server to shut down and exit; kills it if it does not within a few seconds."""
        if self._proc.poll() is None:
            try:
                self._next_id += 1
                self._send({"id": self._next_id, "method": "shutdown", "params": None})
                self._send({"method": "exit", "params": None})
                self._proc.wait(timeout=5)
            except (LspError, OSError, subprocess.TimeoutExpired):
                pass
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=5)
        for t in self._threads:
            t.join(timeout=5)
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
