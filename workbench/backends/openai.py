"""Any OpenAI-compatible server (a team's vLLM fleet, llama.cpp's server, hosted APIs).

Generation asks for JSON (``response_format: json_object``: not every server has JSON-schema
output); evaluation needs a server whose completions endpoint returns prompt
log-probabilities, which is asked before a run starts (see ``served``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from workbench.backends.base import Registration
from workbench.backends.served import ServedBackend


class OpenAIBackend(ServedBackend):
    name: ClassVar[str] = "openai"
    schema_output: ClassVar[bool] = False

    @classmethod
    def register(cls, reg: Registration) -> tuple[str, dict[str, Any]]:
        reg.only_one_location()
        return cls.register_url(reg)
