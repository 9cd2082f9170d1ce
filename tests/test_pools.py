"""The process pools of parsing, rendering and feeds: results come back in order, and a pool's
workers end when the process that started them is killed with -9 (it cannot end them itself)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from linkletter.values.pools import Forked, forked_pool

SRC = os.path.join(os.path.dirname(__file__), os.pardir, "src")


def _square(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def test_a_forked_pool_runs_work_in_other_processes_in_order():
    with forked_pool(2) as pool:
        results = list(pool.map(_square, range(20)))
    assert [r for r, _ in results] == [n * n for n in range(20)]
    assert os.getpid() not in {pid for _, pid in results}


@pytest.mark.process
@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc to tell a zombie")
def test_workers_end_when_their_parent_is_killed(tmp_path):
    pids = tmp_path / "pids"
    script = textwrap.dedent(
        f"""
        import os, time
        from linkletter.values.pools import forked_pool

        def wait(_):
            with open({str(pids)!r}, "a") as out:
                out.write(f"{{os.getpid()}}\\n")
            time.sleep(60)

        with forked_pool(2) as pool:
            list(pool.map(wait, range(2)))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.path.abspath(SRC)}
    parent = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_read(pids)) < 2:
        time.sleep(0.05)
    workers = _read(pids)
    assert len(workers) == 2, "both workers started"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "no worker is left waiting for work"


def test_a_forked_child_ends_when_its_parent_is_killed(tmp_path):
    pids = tmp_path / "pids"
    script = textwrap.dedent(
        f"""
        import os, time
        from linkletter.values.pools import Forked

        def wait():
            with open({str(pids)!r}, "a") as out:
                out.write(f"{{os.getpid()}}\\n")
            time.sleep(60)

        Forked(wait).result()
        """
    )
    env = {**os.environ, "PYTHONPATH": os.path.abspath(SRC)}
    parent = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _read(pids):
        time.sleep(0.05)
    assert len(_read(pids)) == 1, "the child started"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(_read(pids)[0]):
        time.sleep(0.1)
    assert not _alive(_read(pids)[0]), "the child did not go on alone"


def test_a_lock_is_free_once_its_holder_is_killed_though_its_child_lives(tmp_path):
    """A build's forked children (pool workers, the pages' child) let go of the build lock's
    descriptor, so `kill -9` of the build frees the lock at once, not when they notice."""
    from linkletter.locks import Busy, holding

    lock = tmp_path / "build.lock"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        from linkletter.locks import holding

        with holding(Path({str(lock)!r}), wait=False):
            child = os.fork()
            if child == 0:
                time.sleep(60)
                os._exit(0)
            print(child, flush=True)
            time.sleep(60)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.path.abspath(SRC)}
    parent = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        with pytest.raises(Busy), holding(lock, wait=False):
            pass
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _alive(child)
        with holding(lock, wait=False):
            pass
    finally:
        os.kill(child, signal.SIGKILL)


def _read(path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone for good
        return stat.read().split(") ")[-1][:1] != "Z"


def _fails(where: list[int]) -> None:
    where.append(os.getpid())
    raise ValueError(f"failed in {os.getpid()}")


def test_forked_work_runs_in_a_child_and_comes_back():
    forked = Forked(_square, 7)
    child = forked.pid
    assert forked.result() == (49, child)
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # the child was waited for: no zombie is left


def test_forked_work_that_fails_in_the_child_fails_here_as_it_would_have():
    where: list[int] = []
    forked = Forked(_fails, where)
    assert forked.pid is not None, "a child was forked"
    with pytest.raises(ValueError, match=f"failed in {os.getpid()}"):
        forked.result()
    assert where == [os.getpid()], "the child's attempt left nothing here; this process tried once"


def test_a_result_the_child_cannot_send_is_computed_here():
    forked = Forked(lambda: lambda: os.getpid())  # a function cannot be pickled
    assert forked.result()() == os.getpid()


def _mark_later(path: str) -> None:
    time.sleep(1)
    with open(path, "w") as out:
        out.write("still working")


def test_forked_work_closed_without_its_result_is_ended(tmp_path):
    marker = tmp_path / "marker"
    forked = Forked(_mark_later, str(marker))
    child = forked.pid
    forked.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # waited for: no zombie
    time.sleep(1.5)
    assert not marker.exists(), "the child was ended, not waited for until it finished"


def _joined(first: str, second: bytes) -> tuple[str, int, int]:
    return first, len(second), os.getpid()


def _ready_marks(path: str):
    def ready() -> None:
        with open(path, "w") as out:
            out.write(str(os.getpid()))

    return ready


def _appears(path, seconds: float = 30) -> bool:
    end = time.monotonic() + seconds
    while not (path.exists() and path.read_text()):
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_waiting_child_gets_ready_then_works_on_what_it_is_given(tmp_path):
    marker = tmp_path / "ready"
    forked = Forked(_joined, "first", waiting=True, ready=_ready_marks(str(marker)))
    child = forked.pid
    assert child is not None
    assert _appears(marker), "it got ready before it was given anything"
    assert marker.read_text() == str(child)
    big = os.urandom(1_000_000)  # far more than a pipe holds at once
    forked.give(big)
    assert forked.result() == ("first", 1_000_000, child)
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)


def _never_ready() -> None:
    raise RuntimeError("cannot get ready")


def test_a_waiting_child_that_cannot_get_ready_leaves_the_work_here():
    forked = Forked(_joined, "first", waiting=True, ready=_never_ready)
    assert forked.pid is not None
    forked.give(b"12345")  # whether it has failed yet or not
    assert forked.result() == ("first", 5, os.getpid())
    forked.close()


def test_a_waiting_child_killed_before_it_is_given_leaves_the_work_here():
    forked = Forked(_joined, "first", waiting=True)
    child = forked.pid
    assert child is not None
    os.kill(child, signal.SIGKILL)
    forked.give(os.urandom(200_000))  # more than the pipe holds: the write fails
    assert forked.result() == ("first", 200_000, os.getpid())
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)
    forked.close()


def test_a_waiting_child_never_given_anything_is_ended_by_close():
    forked = Forked(_joined, "first", waiting=True)
    child = forked.pid
    assert child is not None and _alive(child)
    forked.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # ended and waited for: no zombie


def _sleep_then(value: int) -> int:
    time.sleep(5)
    return value


def test_a_waiting_child_is_not_held_up_by_other_children_holding_its_pipe():
    """Children forked later (a pool's workers) hold copies of the pipe the arguments go
    through, so the waiting child cannot wait for its end: it reads what it was told to."""
    forked = Forked(_joined, "first", waiting=True)
    child = forked.pid
    later = Forked(_sleep_then, 1)  # forked after: it holds the pipe's writing end too
    try:
        forked.give(b"abc")
        assert forked.result() == ("first", 3, child)
        assert later.pid is not None and _alive(later.pid), "the result came before the other child ended"
    finally:
        later.close()


def test_arguments_that_cannot_be_sent_are_worked_on_here_and_nothing_is_left_open():
    before = _open_descriptors()
    forked = Forked(_joined, "first", waiting=True)
    child = forked.pid
    unpicklable = memoryview(b"abc")  # sent as it is, it cannot be pickled; its length is 3
    forked.give(unpicklable)
    assert forked.result() == ("first", 3, os.getpid())
    forked.close()
    assert _open_descriptors() == before
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)


def test_a_waiting_child_asked_for_its_result_before_it_was_given_anything_says_so():
    forked = Forked(_joined, "first", waiting=True)
    try:
        with pytest.raises(RuntimeError, match="given before"):
            forked.result()  # instead of both processes waiting for each other for good
    finally:
        forked.close()
    with pytest.raises(RuntimeError, match="given once"):
        Forked(_square, 2).give(3)
    with pytest.raises(ValueError, match="waiting"):
        Forked(_square, 2, ready=_never_ready)


def test_a_child_that_cannot_get_its_pipes_is_not_forked_and_leaves_nothing_open(monkeypatch):
    real_pipe, made = os.pipe, []

    def second_fails():  # as when the process runs out of descriptors between the two
        if made:
            raise OSError(24, "Too many open files")
        made.append(real_pipe())
        return made[-1]

    before = _open_descriptors()
    monkeypatch.setattr(os, "pipe", second_fails)
    forked = Forked(_joined, "first", waiting=True)
    monkeypatch.setattr(os, "pipe", real_pipe)
    assert forked.pid is None, "no child without its pipes"
    assert _open_descriptors() == before
    forked.give(b"ab")
    assert forked.result() == ("first", 2, os.getpid())
