"""One way to name code that is imported only when it is used: ``"package.module:attr"``.

The tables that use it are data (the job kinds are even stored with each job): the CLI's
commands, the job kinds and the project screens. Keeping the name a string keeps the
module unimported until the command runs, the job process starts or the screen opens.
"""

from __future__ import annotations

import importlib
from typing import Any


def import_target(target: str) -> Any:
    """The attribute named ``"package.module:attr"``, its module imported now.

    ValueError for a name without exactly one ``:``; ImportError or AttributeError when
    the module or attribute does not exist.
    """
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr or ":" in attr:
        raise ValueError(f"'{target}' is not 'package.module:attribute'.")
    return getattr(importlib.import_module(module_name), attr)
