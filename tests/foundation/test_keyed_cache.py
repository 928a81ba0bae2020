"""The job's keyed answer cache (workbench.keyed_cache): what one attempt keeps, the next
reads back; a file of an earlier version reads as misses; many threads write at once."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from workbench.keyed_cache import KeyedCache, key_of


def test_values_written_by_one_attempt_are_read_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / "job-1-answers.sqlite"
    first = KeyedCache(path)
    body = {"model": "m", "messages": [{"role": "user", "content": "2+2?"}], "seed": 0}
    first.put(key_of(body), "B. 4")
    first.put(key_of([1, 2]), [{"logprob": -0.5, "greedy": True}])
    first.close()
    again = KeyedCache(path)
    # The same body, its keys in another order: the same key.
    assert again.get(key_of(dict(reversed(list(body.items()))))) == "B. 4"
    assert again.get(key_of([1, 2])) == [{"logprob": -0.5, "greedy": True}]
    assert again.get(key_of([2, 1])) is None
    again.close()


def test_no_path_keeps_nothing() -> None:
    cache = KeyedCache(None)
    cache.put("k", "v")
    assert cache.get("k") is None


def test_a_file_of_an_earlier_version_reads_as_misses(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE replies (key TEXT PRIMARY KEY, reply TEXT NOT NULL)")
        conn.execute("INSERT INTO replies VALUES ('k', 'old text')")
    cache = KeyedCache(path)
    assert cache.get("k") is None  # asked again, not misread
    cache.put("k", "new text")
    assert cache.get("k") == "new text"
    cache.close()


def test_many_threads_write_and_read_at_once(tmp_path: Path) -> None:
    cache = KeyedCache(tmp_path / "c.sqlite")

    def one(n: int) -> str | None:
        cache.put(key_of(n), f"reply {n}")
        value = cache.get(key_of(n))
        return None if value is None else str(value)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(one, range(200))) == [f"reply {n}" for n in range(200)]
    cache.close()
    reopened = KeyedCache(tmp_path / "c.sqlite")
    assert [reopened.get(key_of(n)) for n in range(200)] == [f"reply {n}" for n in range(200)]
    reopened.close()
