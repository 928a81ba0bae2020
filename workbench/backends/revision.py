"""A content hash of a local model folder, so that a run knows which weights it scored."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")
_HASHED_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "generation_config.json", "chat_template.jinja")


def directory_revision(path: Path, cache_file: Path | None = None) -> str:
    """A content hash of a model directory's weights, config and tokenizer files (or of one
    weights file, e.g. a GGUF).

    With ``cache_file``, the hash is remembered with each file's size and modification time
    and reused while they are unchanged (hashing 0.5 GB of weights takes seconds)."""
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file() and (
        p.suffix in _WEIGHT_SUFFIXES or p.name in _HASHED_FILES))
    stamp = [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    cache: dict[str, Any] = {}
    if cache_file is not None:
        try:
            cache = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cache = {}
        known = cache.get(str(path))
        if isinstance(known, dict) and known.get("files") == stamp:
            return str(known["revision"])
    revision = _hash_files(files)
    if cache_file is not None:
        cache[str(path)] = {"files": stamp, "revision": revision}
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(cache, indent=1), encoding="utf-8")
        os.replace(partial, cache_file)
    return revision


def _hash_files(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with open(file, "rb") as f:
            while chunk := f.read(1 << 22):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()
