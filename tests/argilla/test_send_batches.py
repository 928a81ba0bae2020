"""push's parallel sender, without a server: what it yields is exactly what landed, and a
failure stops new batches and is raised after those in flight finish."""

from __future__ import annotations

import threading
import time

import pytest

from workbench.argilla_sync.push import send_batches


def _batches(n: int) -> list[list[int]]:
    return [[i] for i in range(n)]


def test_all_batches_land_and_run_side_by_side() -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def send(batch: list[int]) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    landed = list(send_batches(send, _batches(12), parallel=3))  # type: ignore[arg-type]
    assert sorted(b[0] for b in landed) == list(range(12))
    assert peak[0] == 3


def test_a_failure_stops_new_batches_and_is_raised() -> None:
    started: list[int] = []

    def send(batch: list[int]) -> None:
        started.append(batch[0])
        time.sleep(0.01 * batch[0])
        if batch[0] == 1:
            raise ConnectionError("server gone")

    landed: list[int] = []
    with pytest.raises(ConnectionError, match="server gone"):
        for batch in send_batches(send, _batches(20), parallel=3):  # type: ignore[arg-type]
            landed.append(batch[0])
    assert 1 not in landed and set(landed) <= set(started)
    assert len(started) < 20  # nothing new after the failure
    assert set(started) - set(landed) == {1}  # the others in flight were yielded
