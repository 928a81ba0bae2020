"""Ask an Argilla server who we are and what it holds, with plain HTTP (standard library
only). The TUI uses this: it must not import the Argilla SDK."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from workbench.argilla_sync import errors
from workbench.errors import ServiceError
from workbench.settings import Settings

ANNOTATED_STATUSES = ("submitted", "discarded")


@dataclass(frozen=True)
class ServerInfo:
    """Who the API key belongs to, and the workspace the sync will use."""

    url: str
    username: str
    role: str
    workspace: str
    workspaces: list[str]


@dataclass(frozen=True)
class RemoteDataset:
    """A dataset on the server: its records and how many have a submitted or discarded
    response."""

    id: str
    name: str
    records: int
    annotated: int


def answered_filter() -> dict[str, Any]:
    """Search body that keeps records with a submitted or discarded response."""
    return {"filters": {"and": [{
        "type": "terms",
        "scope": {"entity": "response", "property": "status"},
        "values": list(ANNOTATED_STATUSES),
    }]}}


class HttpProbe:
    """A few read-only calls with the key in the ``X-Argilla-Api-Key`` header."""

    def __init__(self, settings: Settings, timeout: float = 5.0) -> None:
        if not settings.argilla_api_url or not settings.argilla_api_key:
            raise errors.not_configured()
        self.url = settings.argilla_api_url.rstrip("/")
        self._key = settings.argilla_api_key
        self.workspace_name = settings.argilla_workspace
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"X-Argilla-Api-Key": self._key, "Content-Type": "application/json",
                     "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            if exc.code == 401:
                raise errors.wrong_key(self.url) from None
            if exc.code == 403:
                raise errors.forbidden(self.url, f"call {path}") from None
            raise errors.server_error(self.url, exc.code, detail) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise errors.unreachable(self.url, str(reason)) from None

    def server_info(self) -> ServerInfo:
        """Check the key and resolve the workspace; ServiceError with a hint otherwise."""
        me = self._call("GET", "/api/v1/me")
        names = [w["name"] for w in self._call("GET", "/api/v1/me/workspaces")["items"]]
        workspace = resolve_workspace(self.workspace_name, names)
        return ServerInfo(self.url, me["username"], me["role"], workspace, names)

    def dataset(self, name: str, workspace: str) -> RemoteDataset | None:
        """The dataset called ``name`` in ``workspace``, or None when it does not exist."""
        workspaces = {w["id"]: w["name"] for w in self._call("GET", "/api/v1/me/workspaces")["items"]}
        for item in self._call("GET", "/api/v1/me/datasets")["items"]:
            if item["name"] == name and workspaces.get(item["workspace_id"]) == workspace:
                dataset_id = item["id"]
                progress = self._call("GET", f"/api/v1/datasets/{dataset_id}/progress")
                found = self._call(
                    "POST", f"/api/v1/datasets/{dataset_id}/records/search?limit=1",
                    answered_filter(),
                )
                return RemoteDataset(dataset_id, name, int(progress["total"]),
                                     int(found.get("total", 0)))
        return None


def resolve_workspace(wanted: str | None, available: list[str]) -> str:
    """The configured workspace if the user has it; else the only/first one."""
    if wanted:
        if wanted not in available:
            raise errors.missing_workspace(wanted, available)
        return wanted
    if not available:
        raise errors.no_workspace()
    return available[0]


def check_connection(settings: Settings) -> ServerInfo:
    """One call for the status line: ServerInfo, or the ServiceError that explains."""
    return HttpProbe(settings).server_info()


__all__ = [
    "HttpProbe",
    "RemoteDataset",
    "ServerInfo",
    "ServiceError",
    "answered_filter",
    "check_connection",
    "resolve_workspace",
]
