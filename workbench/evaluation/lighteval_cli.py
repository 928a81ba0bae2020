"""The plain lighteval CLI, made to work offline: ``python -m workbench.evaluation.lighteval_cli``
takes exactly the arguments of ``lighteval`` (e.g. ``accelerate MODEL_ARGS TASKS
--custom-tasks FILE``), installs the shims of ``workbench.evaluation.offline`` in this
process and hands over to lighteval's own command-line app. Nothing installed is edited.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from workbench.evaluation.offline import prepare_lighteval

    prepare_lighteval()
    from lighteval.__main__ import app

    sys.argv = ["lighteval", *(sys.argv[1:] if argv is None else argv)]
    app()


if __name__ == "__main__":
    main()
