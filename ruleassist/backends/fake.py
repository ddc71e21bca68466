"""A deterministic stand-in LLM for testing the layers above the backend seam.

Same protocol and the same rules as a real backend (context budget, stop sequences,
max_tokens), with no model. Its "tokens" are CJK characters, words and punctuation marks.

    FakeBackend(cfg)                                   echoes: "回答: " + the last user message
    FakeBackend(cfg, replies=["はい。第八条による。"])   replies in turn, cycling
    FakeBackend(cfg, scores={"はい": -0.1})             score_options uses these where given
"""
from __future__ import annotations

import hashlib
import re
from itertools import cycle
from typing import Iterator, Mapping, Sequence

from ruleassist.backends import Message, backend, check_budget
from ruleassist.config import Config

_TOKEN = re.compile(r"\s*(?:[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]|\w+|[^\w\s])|\s+$")


@backend("fake")
def _make(cfg: Config) -> "FakeBackend":
    return FakeBackend(cfg)


def fake_tokens(text: str) -> list[str]:
    """Pieces that join back to exactly the text."""
    return _TOKEN.findall(text)


class FakeBackend:
    name = "fake"
    model_id = "fake"

    def __init__(self, cfg: Config, replies: Sequence[str] | None = None,
                 scores: Mapping[str, float] | None = None):
        self.cfg = cfg
        self._replies = cycle(replies) if replies else None
        self._scores = dict(scores or {})
        self.calls: list[tuple[str, list[Message]]] = []   # ("chat" | "score", messages), for assertions

    @property
    def context_size(self) -> int:
        return self.cfg.llm_ctx

    def count_tokens(self, text: str) -> int:
        return len(fake_tokens(text))

    def _prompt_tokens(self, messages: list[Message]) -> int:
        return sum(self.count_tokens(m["content"]) + 4 for m in messages)   # 4: role markers, like a template

    def chat(self, messages: list[Message], max_tokens: int | None = None, stop: list[str] | None = None,
             temperature: float = 0.0) -> Iterator[str]:
        max_tokens = self.cfg.llm_max_tokens if max_tokens is None else max_tokens
        check_budget(self._prompt_tokens(messages), max_tokens, self.context_size)
        self.calls.append(("chat", messages))
        reply = next(self._replies) if self._replies else _echo(messages)
        return _stream(reply, max_tokens, stop or [])

    def score_options(self, messages: list[Message], options: list[str]) -> dict[str, float]:
        if len(set(options)) != len(options) or not all(options):
            raise ValueError(f"options must be distinct and non-empty: {options!r}")
        check_budget(self._prompt_tokens(messages), 1, self.context_size)
        self.calls.append(("score", messages))
        return {o: self._scores.get(o, _stable(messages, o)) for o in options}


def _echo(messages: list[Message]) -> str:
    last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    return "回答: " + last


def _stable(messages: list[Message], option: str) -> float:
    """A made-up but repeatable logit in [-4, 0) from the conversation and the option."""
    digest = hashlib.sha256(repr((messages, option)).encode("utf-8")).digest()
    return -4.0 * digest[0] / 256


def _stream(reply: str, max_tokens: int, stop: list[str]) -> Iterator[str]:
    text = "".join(fake_tokens(reply)[:max_tokens])
    cuts = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    text = text[:min(cuts)] if cuts else text
    yield from fake_tokens(text)
