"""Make lighteval 0.13 usable offline without touching its installed files.

lighteval imports every built-in task module whenever it resolves task names. Two of them
break offline or with newer libraries (see STACK.md): ``tiny_benchmarks`` downloads a pickle
from GitHub at import time, and ``mt_bench`` calls a huggingface_hub API removed in 1.x.

``prepare_lighteval()`` handles both in this process only:

- ``tiny_benchmarks``: unless its pickle is already in place, an empty stand-in module is put
  in ``sys.modules`` under its name, so importing it costs nothing and defines no tasks;
- any other built-in task module that fails to import is skipped with a warning instead of
  stopping the whole registry (its tasks then report "unknown task", one task at a time).

``disable_sample_cache()`` switches off lighteval's on-disk cache of model answers for the
models this process creates: it keys answers by task name and settings, not by dataset
content, and writes them under ``cache_dir / model_name`` (inside the model's own folder
when ``model_name`` is an absolute path). Our runs are reused by their own config hash
instead, so ``--force`` really recomputes and two runs can be compared.

Call ``prepare_lighteval`` before anything imports ``lighteval.tasks.registry``'s loaders (the job and
``lighteval_cli`` both call it first).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import types
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

TINY_BENCHMARKS = "lighteval.tasks.tasks.tiny_benchmarks"
SKIPPED_MODULES: dict[str, str] = {}  # module -> why it was skipped, for the repro record
_prepared = False


def _stand_in(name: str, reason: str) -> None:
    module = types.ModuleType(name)
    module.__doc__ = f"workbench stand-in: {reason}"
    module.TASKS_TABLE = []  # type: ignore[attr-defined]
    sys.modules[name] = module
    SKIPPED_MODULES[name] = reason


def _tiny_benchmarks_pickle_present() -> bool:
    spec = importlib.util.find_spec("lighteval")
    if spec is None or not spec.submodule_search_locations:
        return False
    root = Path(next(iter(spec.submodule_search_locations)))
    return (root / "tasks" / "tasks" / "tinyBenchmarks.pkl").is_file()


def prepare_lighteval() -> None:
    """Install the offline shims (idempotent)."""
    global _prepared
    if _prepared:
        return
    if TINY_BENCHMARKS not in sys.modules and not _tiny_benchmarks_pickle_present():
        _stand_in(TINY_BENCHMARKS, "downloads tinyBenchmarks.pkl from GitHub at import time")
    from lighteval.tasks.registry import Registry

    original_files = Registry._load_from_files
    original_subdirs = Registry._load_from_subdirs

    def load_from_files(files: list[Path], module_prefix: str) -> dict[str, Any]:
        configs: dict[str, Any] = {}
        for task_file in files:
            name = f"{module_prefix}.{task_file.stem}"
            _import_or_stand_in(name)
            configs.update(original_files([task_file], module_prefix))
        return configs

    def load_from_subdirs(subdirs: list[Path]) -> dict[str, Any]:
        configs: dict[str, Any] = {}
        for task_dir in subdirs:
            _import_or_stand_in(f"lighteval.tasks.tasks.{task_dir.name}.main")
            configs.update(original_subdirs([task_dir]))
        return configs

    Registry._load_from_files = staticmethod(load_from_files)  # type: ignore[method-assign]
    Registry._load_from_subdirs = staticmethod(load_from_subdirs)  # type: ignore[method-assign]
    _prepared = True


def _import_or_stand_in(name: str) -> None:
    if name in sys.modules:
        return
    try:
        importlib.import_module(name)
    except Exception as exc:  # any failure of a built-in module we did not ask for
        reason = f"{type(exc).__name__}: {exc}"
        logger.warning("skipping lighteval task module %s (%s)", name, reason)
        _stand_in(name, reason)


class _NoSampleCache:
    """Stands in for lighteval's SampleCache while a model is built; the model's ``_cache``
    is then set to None, which lighteval's ``cached`` decorator treats as "no cache"."""

    def __init__(self, config: Any) -> None:
        self.config = config

    def _init_registry(self, registry: Any) -> None:
        return None


def disable_sample_cache() -> None:
    """Models built from now on in this process write no answer cache (see the docstring)."""
    import lighteval.pipeline  # noqa: F401  (imports every model module)

    for name, module in list(sys.modules.items()):
        if name.startswith("lighteval.models.") and hasattr(module, "SampleCache"):
            module.SampleCache = _NoSampleCache  # type: ignore[attr-defined]


def detach_cache(model: Any) -> None:
    """After the pipeline is built: no cache lookups or writes for this model."""
    if isinstance(getattr(model, "_cache", None), _NoSampleCache):
        model._cache = None
