"""Child processes of the local stack: started in their own process group, logged to a file, stopped
for sure.

Each child gets its own session so that a Ctrl-C in the terminal reaches only `python -m libs.stack`,
which then stops the children in order (gateway, services, then infrastructure) instead of all of
them dying at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from libs.stack.testing import poll_until

log_tail_lines = 40
_HEADER = "=== libs.stack "  # starts the line written before each run of a command


class StackError(RuntimeError):
    """The local stack could not start or stop; the message says what to do."""


class Child:
    """One long-running process whose stdout and stderr go to `log_path` (appended, one header per start)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.user = user
        # PostgreSQL wants SIGINT ("fast" shutdown); SIGTERM would wait for every client to leave.
        self.stop_signal = stop_signal
        self.proc: subprocess.Popen | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        if self.alive:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"\n{_HEADER}{_now()} start: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                _with_parent_death_signal(self.argv, self.stop_signal),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                **_run_as(self.user),
            )

    def signal(self, sig: int) -> None:
        """Send `sig` to the process itself (not its group: PostgreSQL's backends take SIGINT as
        "cancel the query"); a process already gone is fine."""
        if self.alive:
            self.proc.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> None:
        stop_all([self], timeout)

    def log_tail(self, lines: int = log_tail_lines) -> str:
        return log_tail(self.log_path, lines)

    def wait_ready(self, probe: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll `probe` until it answers; fail early if the process exits, always with its log tail."""

        def ready() -> bool:
            if not self.alive:
                code = self.proc.returncode if self.proc else None
                raise StackError(self.failure(f"{self.name} exited with code {code} before {what}"))
            return probe()

        try:
            poll_until(ready, timeout=timeout, interval=0.1, message=what)
        except TimeoutError:
            raise StackError(self.failure(f"{self.name} did not get to {what} within {timeout:g}s")) from None

    def failure(self, headline: str) -> str:
        return f"{headline}. Last lines of {self.log_path}:\n{self.log_tail()}"


def stop_all(children: Iterable[Child], timeout: float = 10.0) -> None:
    """Ask every child to stop at once, wait for them together up to `timeout`, then SIGKILL the rest
    (their whole process group, so no grandchild outlives them)."""
    # A child that died earlier is left alone: its pid may already belong to someone else.
    children = [c for c in children if c.alive]
    for child in children:
        child.signal(child.stop_signal)
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for child in children:
        # The group outlives its leader when a grandchild lingers: kill it even if the leader is gone.
        try:
            os.killpg(child.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.proc.wait()


def run(argv: Sequence[str], log_path: Path, *, what: str, timeout: float, **kwargs) -> None:
    """Run a one-shot command (initdb, a migration), its output appended to `log_path`; raise on failure."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    user = kwargs.pop("user", None)
    with open(log_path, "ab") as log:
        log.write(f"\n{_HEADER}{_now()} run: {' '.join(argv)}\n".encode())
        log.flush()
        try:
            code = subprocess.run(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                timeout=timeout, **_run_as(user), **kwargs,
            ).returncode
        except subprocess.TimeoutExpired:
            code = f"none: killed after {timeout:g}s"
    if code != 0:
        raise StackError(f"{what} failed (exit code {code}). Last lines of {log_path}:\n{log_tail(log_path)}")


def log_tail(path: Path, lines: int = log_tail_lines) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except FileNotFoundError:
        return "  (no log file)"
    # Only this run's output: earlier runs (appended to the same file) would bury the cause.
    text = text[max(0, text.rfind(_HEADER)):]
    return "\n".join("  " + line for line in text.splitlines()[-lines:])


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports the kernel considers free right now (all sockets held open together, so
    the kernel cannot hand out the same port twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind((host, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _run_as(user: str | None) -> dict:
    """Popen arguments that drop root privileges to `user` in the child (no `runuser` in between, so
    the pid we hold is the server's own and our signals reach it)."""
    if user is None:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _with_parent_death_signal(argv: list[str], sig: int) -> list[str]:
    """Prefix `setpriv --pdeathsig` so the child is signalled if we die without cleaning up (SIGKILL,
    a hard pytest timeout). Linux ties this to the *thread* that forked, so it is only set from the
    main thread: a child started from a worker thread would otherwise die with that thread."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or threading.current_thread() is not threading.main_thread():
        return argv
    return [setpriv, f"--pdeathsig={signal.Signals(sig).name[3:]}", "--", *argv]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
