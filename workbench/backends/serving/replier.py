"""What writes the answers of the generative formulation for ``ServedModel``: a server's chat
endpoint (``chat_replies.ChatReplier``) or llama.cpp in the job's own process
(``workbench.backends.llamacpp_replies.LlamaCppReplier``)."""

from __future__ import annotations

from typing import Protocol

from workbench.backends.serving.chat_replies import ChatRequest


class Replier(Protocol):
    def replies(self, requests: list[ChatRequest]) -> list[str]:
        """One reply per request, in order (greedy, at most ``max_tokens`` tokens each);
        replies kept from an earlier attempt of the job are returned without asking again.
        Raises a WorkbenchError when the model cannot answer."""

    def close(self) -> None:
        """Let go of the model and the reply cache. Safe to call twice."""
