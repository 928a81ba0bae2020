"""The bundled model: registered by default, converted once, safe to interrupt, and real."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from workbench.bundled_model import (
    BUNDLED_GGUF_MODEL,
    BUNDLED_MODEL,
    ensure_model_dir,
    gguf_path,
    is_converted,
    register_bundled_models,
)
from workbench.settings import load_settings

CONVERT = textwrap.dedent("""
    import sys
    from workbench.bundled_model import ensure_model_dir
    from workbench.settings import load_settings
    ensure_model_dir(load_settings({"WORKBENCH_HOME": sys.argv[1]}),
                     report=lambda m: print(m, flush=True))
""")


def test_bundled_models_are_registered(store):
    register_bundled_models(store)
    models = {m.name: m for m in store.list_models()}
    assert models[BUNDLED_MODEL].backend == "transformers" and models[BUNDLED_MODEL].builtin
    assert models[BUNDLED_GGUF_MODEL].location == str(gguf_path())
    assert gguf_path().stat().st_size > 50_000_000


@pytest.mark.slow
def test_conversion_killed_midway_leaves_nothing_usable_then_completes(tmp_path, settings):
    home = tmp_path / "fresh-home"
    proc = subprocess.Popen([sys.executable, "-c", CONVERT, str(home)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("1/3")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    fresh = load_settings({"WORKBENCH_HOME": str(home)})
    assert not is_converted(fresh)
    assert not (fresh.models_dir / "SmolLM2-135M-Instruct").exists()

    # The shared cache (used by every other test) converts, or was converted, for real.
    path = ensure_model_dir(settings, report=lambda m: None)
    assert is_converted(settings) and (path / "config.json").is_file()
    assert not list(settings.models_dir.glob("*.partial-*"))

    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    prompt = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                     tokenize=False, add_generation_prompt=True)
    ids = tok(prompt, return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=20, do_sample=False)
    assert "Paris" in tok.decode(out[0][ids["input_ids"].shape[1]:])
