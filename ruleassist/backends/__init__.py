"""LLM backends: one small protocol, a registry of factories, and the helpers they share.

    backend = make_backend(cfg)                       # cfg.llm_backend picks the factory
    text = "".join(backend.chat(messages, max_tokens=200, stop=["\\n\\n"]))
    scores = backend.score_options(messages, ["はい", "いいえ"])   # {"はい": -0.2, "いいえ": -1.7}

Every backend loads its model on first use, never at construction or import, and keeps one
instance. Factories register with ``@backend("name")``; this module imports the built-in
backend modules at its end so the registry is full once ``ruleassist.backends`` is imported.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Iterator, Protocol, Sequence

from ruleassist.config import Config
from ruleassist.errors import BackendError

Message = dict          # {"role": "system" | "user" | "assistant", "content": str}


class Backend(Protocol):
    name: str           # registry name, e.g. "llama_cpp"
    model_id: str       # what was loaded (file name, hub id or served model), for manifests and logs

    @property
    def context_size(self) -> int: ...

    def chat(self, messages: list[Message], max_tokens: int | None = None, stop: list[str] | None = None,
             temperature: float = 0.0) -> Iterator[str]:
        """Text pieces of the assistant's reply, streamed; greedy (deterministic) at temperature 0."""
        ...

    def score_options(self, messages: list[Message], options: list[str]) -> dict[str, float]:
        """Log-probability of each option as the start of the assistant's reply."""
        ...

    def count_tokens(self, text: str) -> int: ...


BACKENDS: dict[str, Callable[[Config], Backend]] = {}


def backend(name: str) -> Callable[[Callable[[Config], Backend]], Callable[[Config], Backend]]:
    """Register a factory under `name` (the value of Config.llm_backend)."""
    def register(factory: Callable[[Config], Backend]) -> Callable[[Config], Backend]:
        BACKENDS[name] = factory
        return factory
    return register


def make_backend(cfg: Config) -> Backend:
    """The backend that cfg.llm_backend names; nothing is loaded until its first call."""
    factory = BACKENDS.get(cfg.llm_backend)
    if factory is None:
        raise BackendError(f"unknown llm_backend {cfg.llm_backend!r}; known backends: "
                           f"{', '.join(sorted(BACKENDS))} (set RULEASSIST_LLM_BACKEND or llm_backend "
                           "in ruleassist.toml)")
    return factory(cfg)


# ---------------------------------------------------------------- shared helpers

def check_budget(prompt_tokens: int, answer_tokens: int, context: int) -> None:
    """Raise BackendError when the prompt plus the room for the answer overflow the context."""
    if prompt_tokens + answer_tokens > context:
        over = prompt_tokens + answer_tokens - context
        raise BackendError(f"prompt of {prompt_tokens} tokens + {answer_tokens} reserved for the answer "
                           f"exceeds the context of {context} tokens; trim the prompt by {over} tokens "
                           "(or raise llm_ctx)")


def timed_out(seconds: float, what: str = "generation") -> BackendError:
    return BackendError(f"{what} timed out after {seconds:g} s (llm_timeout_s); raise llm_timeout_s, "
                        "shorten the prompt or lower llm_max_tokens")


class Deadline:
    """A monotonic clock budget; `check()` raises the timeout error once it has run out."""

    def __init__(self, seconds: float, what: str = "generation"):
        self.seconds, self.what = seconds, what
        self.end = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() > self.end

    def check(self) -> None:
        if self.expired():
            raise timed_out(self.seconds, self.what)


def scoring_paths(options: Sequence[str], tokens: Sequence[Sequence[int]], end: int) -> list[tuple[int, ...]]:
    """Per option, the token path whose probability is its score.

    The shortest prefix of the option's tokens that no other option shares: for options with
    distinct first tokens ("a".."d", はい/いいえ) that is one token, so one forward pass scores them
    all; options sharing first tokens are followed until they part. An option whose tokens are a
    prefix of another's ("yes" / "yes, but") ends with `end` (end of turn), so "yes" means "yes, then stop".
    """
    if len(set(options)) != len(options) or not all(options):
        raise ValueError(f"options must be distinct and non-empty: {list(options)!r}")
    seqs = [tuple(t) for t in tokens]
    if len(set(seqs)) != len(seqs):
        raise ValueError(f"options tokenize identically: {list(options)!r}")
    paths = []
    for i, seq in enumerate(seqs):
        others = [s for j, s in enumerate(seqs) if j != i]
        k = next((k for k in range(1, len(seq) + 1) if all(s[:k] != seq[:k] for s in others)), None)
        paths.append(seq[:k] if k is not None else seq + (end,))
    return paths


def end_of_turn_text(render: Callable[[list[Message]], str]) -> str:
    """What the chat template writes right after an assistant reply ("<|im_end|>\\n" for ChatML).

    Its first token is what the model emits to end a reply; the vocabulary's own EOS/EOT ids
    can differ from it (SmolLM2's EOT is <|endoftext|>, its turns end with <|im_end|>).
    """
    marker = "Zq7"
    text = render([{"role": "user", "content": "x"}, {"role": "assistant", "content": marker}])
    return text[text.rindex(marker) + len(marker):]


def score_paths(paths: Sequence[tuple[int, ...]],
                next_logprobs: Callable[[tuple[int, ...]], Sequence[float]]) -> list[float]:
    """Sum of log p(token | prompt + earlier tokens) along each path; each prefix is evaluated once."""
    cache: dict[tuple[int, ...], Sequence[float]] = {}
    totals = []
    for path in paths:
        total = 0.0
        for i, token in enumerate(path):
            prefix = path[:i]
            if prefix not in cache:
                cache[prefix] = next_logprobs(prefix)
            total += float(cache[prefix][token])
        totals.append(total)
    return totals


def log_softmax(logits) -> "numpy.ndarray":  # noqa: F821 - numpy is imported lazily
    import numpy as np
    x = np.asarray(logits, dtype=np.float64)
    m = x.max()
    return x - (m + math.log(np.exp(x - m).sum()))


# Registers the built-in backends; none of these imports loads a model or a heavy library.
from ruleassist.backends import fake, llama_cpp, openai_compat, transformers_backend  # noqa: E402,F401
