"""Model backends behind one protocol (``base.ModelBackend``), one module each, one registry.

A registered model names its backend (``transformers``, ``llama.cpp``, ``vllm``, ``openai``);
``registry.backend_for(model, settings)`` returns the object that knows, for that model, how
it is registered and validated, whether it can run here (cheaply, no heavy imports), its
distilabel LLM for generation, its lighteval model for evaluation, which formulations it can
be scored on, how many accelerator slots its jobs take, its revision and its settings. The
CLI, the screens and the jobs ask only the registry.
"""
