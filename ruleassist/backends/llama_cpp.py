"""llama.cpp backend (llama-cpp-python): a local GGUF model on the CPU.

The chat template comes from the GGUF's own metadata, rendered by llama-cpp-python's Jinja2
formatter; we render and tokenize the prompt ourselves so that chat, scoring and the context
budget all see exactly the same tokens. The Llama object is not thread-safe, so one lock
serialises every call on it: several Gradio users simply queue. chat() holds the lock until
its iterator is exhausted or closed, so read it to the end or close it.

The prompt shared with the previous call is reused from the KV cache. Scores then differ
from a cold start by rounding only (llama.cpp's kernels round a one-token batch differently
from a long one: up to ~0.1 nats measured), never by stale state.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator

from ruleassist.backends import (Deadline, Message, backend, check_budget, end_of_turn_text, log_softmax,
                                 score_paths, scoring_paths)
from ruleassist.config import Config
from ruleassist.errors import BackendError, MissingExtra, ModelError


@backend("llama_cpp")
def _make(cfg: Config) -> "LlamaCppBackend":
    return LlamaCppBackend(cfg)


def model_file(cfg: Config) -> Path:
    """The GGUF file cfg.llm_model names (a registry name, checked once against its sha256, or a path)."""
    from ruleassist.models import REGISTRY, resolve, verify
    path = resolve(cfg.models_dir, cfg.llm_model)
    if cfg.llm_model in REGISTRY:
        verify(cfg.llm_model, path)
    if path.is_dir():
        raise ModelError(f"{path} is a folder; the llama_cpp backend needs a .gguf file "
                         "(or set llm_backend = \"transformers\" for a Hugging Face folder)")
    return path


def _fix(cfg: Config) -> str:
    from ruleassist.models import REGISTRY
    if cfg.llm_model in REGISTRY:
        return f"fetch it again: ruleassist models pull {cfg.llm_model}"
    return ("replace it with a valid GGUF file, or use a known model: ruleassist models pull NAME "
            f"(NAME: {', '.join(REGISTRY)})")


def _load(cfg: Config) -> Any:
    path = model_file(cfg)
    try:
        from llama_cpp import Llama
    except ImportError:
        raise MissingExtra("llama_cpp", extra="llm") from None
    try:
        return Llama(model_path=str(path), n_ctx=cfg.llm_ctx, n_threads=cfg.llm_threads,
                     n_threads_batch=cfg.llm_threads, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(f"cannot load {path}: not a usable GGUF model ({exc}); {_fix(cfg)}") from None


class LlamaCppBackend:
    name = "llama_cpp"

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.model_id = str(cfg.llm_model)
        self._llm: Any = None
        self._formatter: Any = None
        self._end = -1                       # end-of-turn token, for options that are prefixes of others
        self._lock = threading.RLock()

    # ------------------------------------------------------------ loading

    def _model(self) -> Any:
        if self._llm is None:
            with self._lock:
                if self._llm is None:
                    llm = _load(self.cfg)
                    self._formatter = _formatter(llm, self.cfg)
                    self._end = _end_of_turn(llm, self._formatter)
                    self._llm = llm
        return self._llm

    @property
    def context_size(self) -> int:
        return self.cfg.llm_ctx or self._model().n_ctx()

    def count_tokens(self, text: str) -> int:
        return len(self._model().tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _prompt(self, messages: list[Message]) -> list[int]:
        llm = self._model()
        try:
            rendered = self._formatter(messages=messages)
        except Exception as exc:             # jinja2 errors and the template's own raise_exception
            raise BackendError(f"{self.model_id}'s chat template rejected the messages: {exc}") from None
        return llm.tokenize(rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True)

    def _eval_prompt(self, tokens: list[int], deadline: Deadline) -> None:
        """Decode the prompt in batches, reusing the cached prefix, checking the clock between batches."""
        llm = self._llm
        cached = 0
        for a, b in zip(llm.input_ids[:llm.n_tokens], tokens):
            if a != b:
                break
            cached += 1
        llm.n_tokens = min(cached, len(tokens) - 1)   # always decode one token: fresh logits
        for start in range(llm.n_tokens, len(tokens), llm.n_batch):
            deadline.check()
            llm.eval(tokens[start:start + llm.n_batch])

    # ------------------------------------------------------------ the protocol

    def chat(self, messages: list[Message], max_tokens: int | None = None, stop: list[str] | None = None,
             temperature: float = 0.0) -> Iterator[str]:
        max_tokens = self.cfg.llm_max_tokens if max_tokens is None else max_tokens
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        return self._stream(messages, max_tokens, list(stop or []), temperature)

    def _stream(self, messages: list[Message], max_tokens: int, stop: list[str],
                temperature: float) -> Iterator[str]:
        with self._lock:                     # held while the caller reads: other users queue
            llm = self._model()
            deadline = Deadline(self.cfg.llm_timeout_s)   # starts once we hold the model
            tokens = self._prompt(messages)
            check_budget(len(tokens), max_tokens, llm.n_ctx())
            self._eval_prompt(tokens, deadline)
            chunks = llm.create_completion(tokens, max_tokens=max_tokens, stop=stop, temperature=temperature,
                                           repeat_penalty=1.0, stream=True)
            try:
                for chunk in chunks:
                    deadline.check()
                    if text := chunk["choices"][0]["text"]:
                        yield text
            finally:
                chunks.close()               # stops llama.cpp at once on timeout or early exit

    def score_options(self, messages: list[Message], options: list[str]) -> dict[str, float]:
        with self._lock:
            llm = self._model()
            deadline = Deadline(self.cfg.llm_timeout_s, "scoring")
            prompt = self._prompt(messages)
            option_tokens = [llm.tokenize(o.encode("utf-8"), add_bos=False, special=False) for o in options]
            paths = scoring_paths(options, option_tokens, self._end)
            check_budget(len(prompt), max(map(len, paths)), llm.n_ctx())
            self._eval_prompt(prompt, deadline)

            def next_logprobs(prefix: tuple[int, ...]):
                if prefix:                   # rewind to the prompt, then decode the option's prefix
                    deadline.check()
                    llm.n_tokens = len(prompt)
                    llm.eval(list(prefix))
                return log_softmax(_last_logits(llm))

            return dict(zip(options, score_paths(paths, next_logprobs)))


def _formatter(llm: Any, cfg: Config) -> Any:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        raise ModelError(f"{cfg.llm_model}: the GGUF has no chat template in its metadata; use an "
                         "instruct (chat) model such as qwen2.5-coder-1.5b")

    def text(token: int) -> str:
        return llm.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""

    return Jinja2ChatFormatter(template=template, eos_token=text(llm.token_eos()),
                               bos_token=text(llm.token_bos()))


def _end_of_turn(llm: Any, formatter: Any) -> int:
    """The token a chat model emits when its reply is over (<|im_end|> for Qwen and SmolLM2)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    closed = Jinja2ChatFormatter(template=formatter.template, eos_token=formatter.eos_token,
                                 bos_token=formatter.bos_token, add_generation_prompt=False)
    tail = end_of_turn_text(lambda messages: closed(messages=messages).prompt)
    tokens = llm.tokenize(tail.encode("utf-8"), add_bos=False, special=True) if tail.strip() else []
    return tokens[0] if tokens else llm.token_eos()


def _last_logits(llm: Any):
    import llama_cpp
    import numpy as np
    ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),))
