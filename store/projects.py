"""Projects: create, list, rename, delete, and the dashboard's counts."""

from __future__ import annotations

import sqlite3

from store.base import StoreBase, utc_now
from store.errors import AlreadyExists, InvalidInput, NotFound
from store.records import QUESTION_STATUSES, Project, ProjectStats


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("A project needs a name.", "Type a name, e.g. 'finance-exam'.")
    if len(name) > 100:
        raise InvalidInput("Project names are at most 100 characters.")
    return name


class ProjectsMixin(StoreBase):
    def create_project(self, name: str, description: str = "") -> Project:
        """Create a project; AlreadyExists if the name is taken."""
        name = _check_name(name)
        try:
            with self.transaction() as c:
                cur = c.execute(
                    "INSERT INTO projects(name, description, created_at) VALUES (?,?,?)",
                    (name, description, utc_now()),
                )
        except sqlite3.IntegrityError:
            raise AlreadyExists(
                f"A project named '{name}' already exists.", "Pick another name."
            ) from None
        return self.project_by_id(int(cur.lastrowid or 0))

    def list_projects(self) -> list[Project]:
        """All projects, by name."""
        rows = self.conn.execute("SELECT * FROM projects ORDER BY name COLLATE NOCASE")
        return [Project.from_row(r) for r in rows]

    def project(self, name: str) -> Project:
        """The project called ``name``; NotFound otherwise."""
        row = self.conn.execute("SELECT * FROM projects WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(
                f"No project named '{name}'.",
                "List projects with 'workbench project list' or create it with "
                f"'workbench project create {name}'.",
            )
        return Project.from_row(row)

    def project_by_id(self, project_id: int) -> Project:
        """The project with this id; NotFound otherwise."""
        row = self.conn.execute("SELECT * FROM projects WHERE id = ?", (project_id,)).fetchone()
        if row is None:
            raise NotFound(f"No project with id {project_id}.")
        return Project.from_row(row)

    def rename_project(self, name: str, new_name: str) -> Project:
        """Rename; NotFound / AlreadyExists / InvalidInput as appropriate."""
        project = self.project(name)
        new_name = _check_name(new_name)
        try:
            with self.transaction() as c:
                c.execute("UPDATE projects SET name = ? WHERE id = ?", (new_name, project.id))
        except sqlite3.IntegrityError:
            raise AlreadyExists(f"A project named '{new_name}' already exists.") from None
        return self.project_by_id(project.id)

    def delete_project(self, name: str) -> None:
        """Delete the project and everything in it (documents, questions, runs...)."""
        project = self.project(name)
        with self.transaction() as c:
            c.execute("DELETE FROM projects WHERE id = ?", (project.id,))

    def project_stats(self, project_id: int) -> ProjectStats:
        """Counts for the dashboard, in a handful of indexed queries."""
        c = self.conn

        def one(sql: str) -> int:
            return int(c.execute(sql, (project_id,)).fetchone()[0])

        by_status = {s: 0 for s in QUESTION_STATUSES}
        for row in c.execute(
            "SELECT status, COUNT(*) FROM questions WHERE project_id = ? GROUP BY status",
            (project_id,),
        ):
            by_status[row[0]] = row[1]
        return ProjectStats(
            documents=one("SELECT COUNT(*) FROM documents WHERE project_id = ?"),
            chunks=one("SELECT COUNT(*) FROM chunks WHERE project_id = ?"),
            questions_by_status=by_status,
            snapshots=one("SELECT COUNT(*) FROM snapshots WHERE project_id = ?"),
            eval_runs=one("SELECT COUNT(*) FROM eval_runs WHERE project_id = ?"),
            running_jobs=one(
                "SELECT COUNT(*) FROM jobs WHERE project_id = ? AND state IN ('queued','running')"
            ),
        )
