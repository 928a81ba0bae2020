"""Background jobs: their state, progress and heartbeat live in the store, so the TUI and
the CLI only ever read them here."""

from __future__ import annotations

import json
from typing import Any

from store.base import StoreBase, utc_now
from store.errors import NotFound
from store.records import ACTIVE_JOB_STATES, Job


def run_stopped_message(job_id: int, why: str | None) -> str:
    """What an evaluation run says when its job stopped before it finished (the same words in
    ``eval list``, the Evaluate screen and the Leaderboard)."""
    reason = (why or "the job stopped").rstrip(".")
    return (f"Interrupted: {reason[0].lower() + reason[1:] if reason else reason}. "
            f"'workbench jobs resume {job_id}' continues it; what was scored is kept.")


class JobsMixin(StoreBase):
    def create_job(
        self, kind: str, params: dict[str, Any], project_id: int | None = None,
        log_path: str | None = None, needs_devices: int = 0,
    ) -> Job:
        """Record a queued job. ``needs_devices``: accelerator slots it must wait for."""
        now = utc_now()
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO jobs(project_id, kind, params, state, log_path, created_at,"
                " needs_devices, queued_at) VALUES (?,?,?,'queued',?,?,?,?)",
                (project_id, kind, json.dumps(params), log_path, now, needs_devices, now),
            )
        return self.job(int(cur.lastrowid or 0))

    def job(self, job_id: int) -> Job:
        """One job; NotFound otherwise."""
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"No job with id {job_id}.", "See 'workbench jobs list'.")
        return Job.from_row(row)

    def list_jobs(
        self, project_id: int | None = None, states: tuple[str, ...] | None = None,
        limit: int = 200,
    ) -> list[Job]:
        """Newest first."""
        sql = "SELECT * FROM jobs WHERE 1=1"
        args: list[Any] = []
        if project_id is not None:
            sql += " AND project_id = ?"
            args.append(project_id)
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args += list(states)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        return [Job.from_row(r) for r in self.conn.execute(sql, args)]

    def update_job(self, job_id: int, **fields: Any) -> Job:
        """Set columns of a job (state, pid, progress_done, ...); dicts are stored as JSON."""
        if fields:
            cols = ", ".join(f"{k} = ?" for k in fields)
            values = [json.dumps(v) if isinstance(v, dict) else v for v in fields.values()]
            with self.transaction() as c:
                c.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*values, job_id))
        return self.job(job_id)

    def mark_job_running(self, job_id: int, pid: int, log_path: str | None = None) -> Job:
        """The job process has started (again)."""
        now = utc_now()
        with self.transaction() as c:
            c.execute(
                "UPDATE jobs SET state='running', pid=?, started_at=COALESCE(started_at, ?),"
                " heartbeat_at=?, finished_at=NULL, error=NULL, hint=NULL,"
                " log_path=COALESCE(?, log_path), attempts=attempts+1 WHERE id = ?",
                (pid, now, now, log_path, job_id),
            )
        return self.job(job_id)

    def claim_job(self, job_id: int, pid: int) -> Job | None:
        """The job process takes a queued job: it becomes running with this pid. Returns None
        (and changes nothing) when the job is no longer queued, e.g. cancelled meanwhile."""
        now = utc_now()
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE jobs SET state='running', pid=?, started_at=COALESCE(started_at, ?),"
                " heartbeat_at=?, finished_at=NULL, error=NULL, hint=NULL, rate=NULL,"
                " attempts=attempts+1 WHERE id = ? AND state = 'queued'",
                (pid, now, now, job_id),
            )
        return self.job(job_id) if cur.rowcount else None

    def requeue_job(self, job_id: int) -> Job | None:
        """Put a stopped job (interrupted, cancelled, failed) back in the queue for a resume
        (at the end of the device queue). Returns None when the job is in another state
        (running, queued, done)."""
        now = utc_now()
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE jobs SET state='queued', pid=NULL, error=NULL, hint=NULL, finished_at=NULL,"
                " rate=NULL, message='resuming', heartbeat_at=?, queued_at=?, devices=NULL"
                " WHERE id = ? AND state IN ('interrupted','cancelled','failed')",
                (now, now, job_id),
            )
        return self.job(job_id) if cur.rowcount else None

    def device_queue(self) -> list[Job]:
        """Queued jobs that wait for accelerator slots, first in line first."""
        rows = self.conn.execute(
            "SELECT * FROM jobs WHERE state = 'queued' AND needs_devices > 0"
            " ORDER BY queued_at, id")
        return [Job.from_row(r) for r in rows]

    def busy_devices(self) -> set[str]:
        """Slots held by running jobs."""
        rows = self.conn.execute(
            "SELECT devices FROM jobs WHERE state = 'running' AND devices IS NOT NULL")
        return {str(d) for r in rows for d in json.loads(r[0] or "[]")}

    def claim_job_devices(self, job_id: int, pid: int, slots: list[str]) -> tuple[str, Job | None]:
        """The job process takes its slots and starts, if it may: ("claimed", job) when it
        was first in the device queue and enough of ``slots`` were free (it is now running
        and holds them); ("wait", None) when it must wait; ("gone", None) when the job is
        no longer queued (cancelled meanwhile). One transaction, so two waiting processes
        never take the same slot."""
        now = utc_now()
        with self.transaction() as c:
            row = c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or row["state"] != "queued":
                return "gone", None
            job = Job.from_row(row)
            first = self.device_queue()[0]
            busy = self.busy_devices()
            free = [s for s in slots if s not in busy]
            if first.id != job_id or len(free) < job.needs_devices:
                return "wait", None
            taken = free[:job.needs_devices]
            c.execute(
                "UPDATE jobs SET state='running', pid=?, started_at=COALESCE(started_at, ?),"
                " heartbeat_at=?, finished_at=NULL, error=NULL, hint=NULL, rate=NULL,"
                " devices=?, attempts=attempts+1 WHERE id = ?",
                (pid, now, now, json.dumps(taken), job_id),
            )
        return "claimed", self.job(job_id)

    def finish_active_job(
        self, job_id: int, state: str, error: str | None = None, hint: str | None = None,
        from_states: tuple[str, ...] = ("queued", "running"),
    ) -> bool:
        """Move a job that is still in one of ``from_states`` to a terminal state (the
        supervisor's and cancel's write). Returns False, changing nothing, if the job moved
        on meanwhile: the job process's own verdict wins."""
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE jobs SET state=?, error=?, hint=?, finished_at=?"
                f" WHERE id = ? AND state IN ({','.join('?' * len(from_states))})",
                (state, error, hint, utc_now(), job_id, *from_states),
            )
            if cur.rowcount and state in ("interrupted", "cancelled"):
                # Its evaluation runs stop with it, in the same write: every view agrees.
                c.execute(
                    "UPDATE eval_runs SET state='interrupted', error=? WHERE job_id=?"
                    " AND state='running'", (run_stopped_message(job_id, error), job_id))
        return bool(cur.rowcount)

    def heartbeat(
        self, job_id: int, done: int | None = None, total: int | None = None,
        rate: float | None = None, message: str | None = None,
    ) -> None:
        """Progress and liveness in one cheap write."""
        with self.transaction() as c:
            c.execute(
                "UPDATE jobs SET heartbeat_at = ?, progress_done = COALESCE(?, progress_done),"
                " progress_total = COALESCE(?, progress_total), rate = COALESCE(?, rate),"
                " message = COALESCE(?, message) WHERE id = ?",
                (utc_now(), done, total, rate, message, job_id),
            )

    def finish_job(
        self, job_id: int, state: str, error: str | None = None, hint: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> Job:
        """Terminal state: done, failed, cancelled or interrupted (then its evaluation runs
        still running are interrupted in the same write)."""
        with self.transaction() as c:
            c.execute(
                "UPDATE jobs SET state=?, error=?, hint=?, result=COALESCE(?, result),"
                " finished_at=? WHERE id = ?",
                (state, error, hint, json.dumps(result) if result is not None else None,
                 utc_now(), job_id),
            )
            if state in ("interrupted", "cancelled"):
                c.execute(
                    "UPDATE eval_runs SET state='interrupted', error=? WHERE job_id=?"
                    " AND state='running'", (run_stopped_message(job_id, error), job_id))
        return self.job(job_id)

    def active_jobs(self, project_id: int | None = None) -> list[Job]:
        """Queued and running jobs."""
        return self.list_jobs(project_id, ACTIVE_JOB_STATES)

    def job_item_keys(self, job_id: int) -> set[str]:
        """Item keys a job already committed (its questions, rejected ones included): what a
        resumed job skips."""
        rows = self.conn.execute(
            "SELECT item_key FROM questions WHERE job_id = ? AND item_key IS NOT NULL", (job_id,)
        )
        return {r[0] for r in rows}

    def job_question_counts(self, job_id: int) -> dict[str, int]:
        """{status: count} of the questions a job stored."""
        rows = self.conn.execute(
            "SELECT status, COUNT(*) FROM questions WHERE job_id = ? GROUP BY status", (job_id,)
        )
        return {r[0]: r[1] for r in rows}
