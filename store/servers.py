"""Model servers workbench started (``vllm serve``) and the jobs that lease them.

A server is shared by every job that asks for the same model with the same settings on the
same devices (its ``config_key``); its keeper process stops it once no job has leased it
for a while.
"""

from __future__ import annotations

import json
from typing import Any

from store.base import StoreBase, utc_now
from store.errors import NotFound
from store.records import ModelServer

LIVE_STATES = ("starting", "ready")


class ServersMixin(StoreBase):
    def _leases(self, server_id: int) -> list[int]:
        rows = self.conn.execute(
            "SELECT job_id FROM model_server_leases WHERE server_id = ? ORDER BY job_id",
            (server_id,))
        return [int(r[0]) for r in rows]

    def model_server(self, server_id: int) -> ModelServer:
        """One server; NotFound otherwise."""
        row = self.conn.execute("SELECT * FROM model_servers WHERE id = ?",
                                (server_id,)).fetchone()
        if row is None:
            raise NotFound(f"No model server with id {server_id}.",
                           "See 'workbench servers list'.")
        return ModelServer.from_row(row, self._leases(server_id))

    def model_servers(self, live_only: bool = False) -> list[ModelServer]:
        """Servers, newest first (only starting or ready ones with ``live_only``)."""
        sql = "SELECT * FROM model_servers"
        if live_only:
            sql += f" WHERE state IN ({','.join('?' * len(LIVE_STATES))})"
        rows = self.conn.execute(sql + " ORDER BY id DESC",
                                 LIVE_STATES if live_only else ())
        return [ModelServer.from_row(r, self._leases(r["id"])) for r in rows]

    def lease_model_server(self, config_key: str, model_name: str, spec: dict[str, Any],
                           devices: list[str], job_id: int) -> tuple[ModelServer, bool]:
        """Lease the live server with this key for ``job_id``, or record a new one
        (state 'starting', to be started by the caller). Returns (server, created)."""
        now = utc_now()
        with self.transaction() as c:
            row = c.execute(
                "SELECT id FROM model_servers WHERE config_key = ? AND state IN (?, ?)"
                " ORDER BY id DESC LIMIT 1", (config_key, *LIVE_STATES)).fetchone()
            created = row is None
            if created:
                cur = c.execute(
                    "INSERT INTO model_servers(config_key, model_name, spec, state, devices,"
                    " created_at, last_used_at) VALUES (?,?,?,'starting',?,?,?)",
                    (config_key, model_name, json.dumps(spec), json.dumps(devices), now, now))
                server_id = int(cur.lastrowid or 0)
            else:
                server_id = int(row[0])
            c.execute("INSERT OR IGNORE INTO model_server_leases(server_id, job_id, created_at)"
                      " VALUES (?,?,?)", (server_id, job_id, now))
        return self.model_server(server_id), created

    def release_model_server(self, server_id: int, job_id: int) -> None:
        """The job no longer uses the server; its idle clock starts now."""
        with self.transaction() as c:
            c.execute("DELETE FROM model_server_leases WHERE server_id = ? AND job_id = ?",
                      (server_id, job_id))
            c.execute("UPDATE model_servers SET last_used_at = ? WHERE id = ?",
                      (utc_now(), server_id))

    def drop_dead_leases(self, server_id: int, live_job_ids: set[int]) -> int:
        """Forget leases of jobs that ended without releasing (killed); returns how many."""
        dead = [j for j in self._leases(server_id) if j not in live_job_ids]
        if dead:
            with self.transaction() as c:
                c.executemany("DELETE FROM model_server_leases WHERE server_id = ? AND job_id = ?",
                              [(server_id, j) for j in dead])
                c.execute("UPDATE model_servers SET last_used_at = ? WHERE id = ?",
                          (utc_now(), server_id))
        return len(dead)

    def update_model_server(self, server_id: int, **fields: Any) -> ModelServer:
        """Set columns (state, url, port, pid, error, ready_at, stopped_at...)."""
        if fields:
            values = [json.dumps(v) if isinstance(v, dict | list) else v for v in fields.values()]
            cols = ", ".join(f"{k} = ?" for k in fields)
            with self.transaction() as c:
                c.execute(f"UPDATE model_servers SET {cols} WHERE id = ?", (*values, server_id))
        return self.model_server(server_id)

    def finish_model_server(self, server_id: int, state: str, error: str | None = None) -> bool:
        """A live server stopped ('stopped') or never came up ('failed'). Returns False,
        changing nothing, if it had already ended."""
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE model_servers SET state = ?, error = COALESCE(?, error), stopped_at = ?"
                " WHERE id = ? AND state IN ('starting', 'ready', 'stopping')",
                (state, error, utc_now(), server_id))
        return bool(cur.rowcount)
