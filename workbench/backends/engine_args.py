"""Per-model engine settings (``workbench models add ... --engine-arg KEY=VALUE``).

The keys users of a GPU box reach for are checked here, with their types; they are stored in
the model's ``params["engine_args"]``, used by generation and evaluation alike, and recorded
with every run. Other keys are refused unless the backend passes unknown keys through (vLLM
does: they become ``--key-name value`` flags of ``vllm serve``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from workbench.errors import InvalidInput

DTYPES = ("auto", "bfloat16", "float16", "float32")


def _positive_int(key: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"--engine-arg {key}={text}: a whole number is expected.") from None
    if value < 1:
        raise InvalidInput(f"--engine-arg {key}={text}: must be 1 or more.")
    return value


def _fraction(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"--engine-arg {key}={text}: a number is expected.") from None
    if not 0.0 < value <= 1.0:
        raise InvalidInput(f"--engine-arg {key}={text}: must be above 0 and at most 1.",
                           "0.9 lets vLLM take 90% of the GPU's memory.")
    return value


def _dtype(key: str, text: str) -> str:
    if text not in DTYPES:
        raise InvalidInput(f"--engine-arg {key}={text}: unknown dtype.",
                           f"Use one of {', '.join(DTYPES)}.")
    return text


def _boolean(key: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"--engine-arg {key}={text}: true or false is expected.")


def _text(key: str, text: str) -> str:
    if not text:
        raise InvalidInput(f"--engine-arg {key}=: a value is expected.")
    return text


# key -> (parser, what it means); the README's table is written from this.
KNOWN: dict[str, tuple[Callable[[str, str], Any], str]] = {
    "tensor_parallel_size": (_positive_int, "GPUs one copy of the model is split across"),
    "data_parallel_size": (_positive_int, "copies of the model, each on its own GPUs"),
    "gpu_memory_utilization": (_fraction, "share of each GPU's memory vLLM may take"),
    "max_model_len": (_positive_int, "longest prompt + answer, in tokens"),
    "dtype": (_dtype, "weights' precision (default bfloat16 on a GPU, float32 on a CPU)"),
    "quantization": (_text, "quantization method of the weights (awq, gptq, fp8, ...)"),
    "enforce_eager": (_boolean, "skip CUDA graphs / compilation (faster start, slower run)"),
    "gpus": (_positive_int, "accelerator slots a job of this model takes in the queue"),
    "concurrency": (_positive_int, "requests in flight at once to a served model"),
}


def parse_engine_args(pairs: Iterable[str], allowed: Iterable[str],
                      pass_through: bool = False) -> dict[str, Any]:
    """``["tensor_parallel_size=4", ...]`` -> a checked dict. InvalidInput on a bad pair.

    ``allowed``: the known keys this backend uses; ``pass_through``: keep unknown keys
    as strings (for ``vllm serve`` flags)."""
    allowed = set(allowed)
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InvalidInput(f"--engine-arg '{pair}' is not KEY=VALUE.",
                               "For example --engine-arg tensor_parallel_size=4.")
        if key in allowed:
            out[key] = KNOWN[key][0](key, text.strip())
        elif pass_through and key.isidentifier():
            out[key] = text.strip()
        else:
            known = ", ".join(sorted(allowed))
            raise InvalidInput(f"--engine-arg {key} is not a setting of this backend.",
                               f"Known: {known}.")
    return out


def format_engine_args(args: dict[str, Any]) -> str:
    """'tensor_parallel_size=4 dtype=bfloat16' for lists."""
    def shown(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    return " ".join(f"{k}={shown(v)}" for k, v in sorted(args.items()))
