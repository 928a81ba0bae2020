"""Talking to OpenAI-compatible model servers (vLLM's ``vllm serve``, a team's fleet, hosted
APIs): plain HTTP with retries, the prompt-log-probability probe, the lighteval model that
scores through a server, and the managed ``vllm serve`` process."""
