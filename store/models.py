"""The model registry."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from store.base import StoreBase, utc_now
from store.errors import AlreadyExists, NotFound
from store.records import Model


class ModelsMixin(StoreBase):
    def add_model(
        self, name: str, backend: str, location: str, params: dict[str, Any] | None = None,
        builtin: bool = False,
    ) -> Model:
        """Register a model; AlreadyExists if the name is taken."""
        try:
            with self.transaction() as c:
                c.execute(
                    "INSERT INTO models(name, backend, location, params, builtin, created_at)"
                    " VALUES (?,?,?,?,?,?)",
                    (name, backend, location, json.dumps(params or {}), int(builtin), utc_now()),
                )
        except sqlite3.IntegrityError:
            raise AlreadyExists(
                f"A model named '{name}' is already registered.",
                "Pick another name or remove it with 'workbench models remove'.",
            ) from None
        return self.model(name)

    def upsert_model(
        self, name: str, backend: str, location: str, params: dict[str, Any] | None = None,
        builtin: bool = False,
    ) -> Model:
        """Register or update a model by name (used for the bundled model at start-up)."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO models(name, backend, location, params, builtin, created_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET backend=excluded.backend,"
                " location=excluded.location, params=excluded.params, builtin=excluded.builtin",
                (name, backend, location, json.dumps(params or {}), int(builtin), utc_now()),
            )
        return self.model(name)

    def list_models(self) -> list[Model]:
        """All registered models, bundled first."""
        rows = self.conn.execute("SELECT * FROM models ORDER BY builtin DESC, name")
        return [Model.from_row(r) for r in rows]

    def model(self, name: str) -> Model:
        """The model called ``name``; NotFound otherwise."""
        row = self.conn.execute("SELECT * FROM models WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(
                f"No model named '{name}'.",
                "See 'workbench models list'; add one with 'workbench models add'.",
            )
        return Model.from_row(row)

    def remove_model(self, name: str) -> None:
        """Unregister a model (its past runs keep the name)."""
        model = self.model(name)
        with self.transaction() as c:
            c.execute("DELETE FROM models WHERE id = ?", (model.id,))
