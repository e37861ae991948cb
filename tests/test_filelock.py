"""The file lock: one holder at a time, released on exit and on error, parent folders created."""

from __future__ import annotations

import fcntl
import threading

import pytest

from workbench.filelock import file_lock


def lock_is_free(path) -> bool:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_the_lock_file_and_its_folders_are_created(tmp_path):
    path = tmp_path / "a" / "b" / "build.lock"
    with file_lock(path):
        assert path.is_file()


def test_the_lock_is_held_inside_the_block_and_released_after(tmp_path):
    path = tmp_path / "build.lock"
    with file_lock(path):
        assert not lock_is_free(path)
    assert lock_is_free(path)


def test_the_lock_is_released_when_the_block_raises(tmp_path):
    path = tmp_path / "build.lock"
    with pytest.raises(RuntimeError), file_lock(path):
        raise RuntimeError("build failed")
    assert lock_is_free(path)


def test_a_second_holder_waits_until_the_first_leaves(tmp_path):
    path = tmp_path / "build.lock"
    events: list[str] = []
    first_inside = threading.Event()

    def second() -> None:
        first_inside.wait()
        with file_lock(path):
            events.append("second in")

    thread = threading.Thread(target=second)
    thread.start()
    with file_lock(path):
        events.append("first in")
        first_inside.set()
        thread.join(timeout=0.3)  # the second holder is blocked: it cannot finish while we hold the lock
        assert thread.is_alive()
        events.append("first out")
    thread.join(timeout=10)
    assert events == ["first in", "first out", "second in"]
