"""transformers backend: a Hugging Face causal LM, on the GPU when there is one.

cfg.llm_model is a local model folder, a registry name or path of a GGUF file (transformers
dequantises it; needs the `gguf` package), or a hub id (the hub must then be reachable). The
chat template is the tokenizer's. Generation runs in a worker thread feeding a streamer; a
stopping criterion ends it when the caller stops reading, on a stop string or at the deadline.
"""
from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any, Iterator

from ruleassist.backends import (Deadline, Message, backend, check_budget, end_of_turn_text, log_softmax,
                                 score_paths, scoring_paths, timed_out)
from ruleassist.config import Config
from ruleassist.errors import BackendError, MissingExtra, ModelError


@backend("transformers")
def _make(cfg: Config) -> "TransformersBackend":
    return TransformersBackend(cfg)


def _source(cfg: Config) -> tuple[str, str | None]:
    """(folder or hub id, GGUF file name inside it or None)."""
    from ruleassist.models import REGISTRY, resolve
    name = str(cfg.llm_model)
    if name not in REGISTRY and not Path(name).expanduser().exists():
        return name, None                    # a hub id
    path = resolve(cfg.models_dir, name)
    if path.is_file():
        return str(path.parent), path.name
    return str(path), None


def _load(cfg: Config) -> tuple[Any, Any]:
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise MissingExtra("transformers", extra="llm") from None
    where, gguf = _source(cfg)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    try:
        tok = AutoTokenizer.from_pretrained(where, gguf_file=gguf)
        model = AutoModelForCausalLM.from_pretrained(where, gguf_file=gguf, dtype=dtype)
    except ImportError as exc:
        if "gguf" in str(exc).lower():
            raise MissingExtra("gguf", extra="llm") from None
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        what = f"{where}/{gguf}" if gguf else where
        raise ModelError(f"cannot load the transformers model {what}: {exc}; give a local model folder "
                         "(config.json + weights), a GGUF file, or pull one: ruleassist models pull NAME") from None
    if not tok.chat_template:
        raise ModelError(f"{where}: the tokenizer has no chat template; use an instruct (chat) model")
    return model.to(device).eval(), tok


class TransformersBackend:
    name = "transformers"

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.model_id = str(cfg.llm_model)
        self._model: Any = None
        self._tok: Any = None
        self._lock = threading.RLock()

    def _loaded(self) -> tuple[Any, Any]:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model, self._tok = _load(self.cfg)
        return self._model, self._tok

    @property
    def context_size(self) -> int:
        return self.cfg.llm_ctx or int(self._loaded()[0].config.max_position_embeddings)

    def count_tokens(self, text: str) -> int:
        return len(self._loaded()[1](text, add_special_tokens=False)["input_ids"])

    def _prompt(self, messages: list[Message]) -> list[int]:
        tok = self._loaded()[1]
        try:
            text = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        except Exception as exc:             # jinja2 errors and the template's own raise_exception
            raise BackendError(f"{self.model_id}'s chat template rejected the messages: {exc}") from None
        return tok(text, add_special_tokens=False)["input_ids"]

    # ------------------------------------------------------------ the protocol

    def chat(self, messages: list[Message], max_tokens: int | None = None, stop: list[str] | None = None,
             temperature: float = 0.0) -> Iterator[str]:
        max_tokens = self.cfg.llm_max_tokens if max_tokens is None else max_tokens
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
        return self._stream(messages, max_tokens, [s for s in stop or [] if s], temperature)

    def _stream(self, messages: list[Message], max_tokens: int, stop: list[str],
                temperature: float) -> Iterator[str]:
        with self._lock:
            model, tok = self._loaded()
            deadline = Deadline(self.cfg.llm_timeout_s)
            ids = self._prompt(messages)
            check_budget(len(ids), max_tokens, self.context_size)
            run = _Generation(model, tok, ids, max_tokens, stop, temperature, deadline)
            try:
                yield from _until_stop(run.pieces(), stop)
            finally:
                run.finish()
            if run.out_of_time:
                raise timed_out(self.cfg.llm_timeout_s)

    def score_options(self, messages: list[Message], options: list[str]) -> dict[str, float]:
        import torch
        with self._lock, torch.inference_mode():
            model, tok = self._loaded()
            prompt = self._prompt(messages)
            option_tokens = [tok(o, add_special_tokens=False)["input_ids"] for o in options]
            paths = scoring_paths(options, option_tokens, _end_of_turn(tok))
            check_budget(len(prompt), max(map(len, paths)), self.context_size)
            rows: dict[tuple[int, ...], Any] = {}
            for prefix in _longest_prefixes(paths):      # one forward pass each, usually exactly one
                ids = torch.tensor([prompt + list(prefix)], device=model.device)
                logits = model(input_ids=ids, logits_to_keep=len(prefix) + 1).logits[0]
                for i in range(len(prefix) + 1):
                    rows[prefix[:i]] = log_softmax(logits[i].float().cpu().numpy())
            return dict(zip(options, score_paths(paths, rows.__getitem__)))


def _longest_prefixes(paths: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """The prefixes that scoring needs (every path minus its last token), less those inside longer ones."""
    needed = {p[:i] for p in paths for i in range(len(p))}
    return [n for n in needed if not any(len(m) > len(n) and m[:len(n)] == n for m in needed)]


def _end_of_turn(tok: Any) -> int:
    """The token a chat model emits when its reply is over (see end_of_turn_text)."""
    tail = end_of_turn_text(lambda messages: tok.apply_chat_template(messages, tokenize=False))
    tokens = tok(tail, add_special_tokens=False)["input_ids"] if tail.strip() else []
    return tokens[0] if tokens else tok.eos_token_id


class _Generation:
    """model.generate in a worker thread, its text coming out of a streamer."""

    def __init__(self, model: Any, tok: Any, ids: list[int], max_tokens: int, stop: list[str],
                 temperature: float, deadline: Deadline):
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        self.cancelled, self.out_of_time, self.error = threading.Event(), False, None
        self.deadline = deadline
        self.streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True,
                                             timeout=max(0.01, deadline.seconds))
        run = self

        class _Halt(StoppingCriteria):        # checked after every token
            def __call__(self, input_ids, scores, **kwargs):
                run.out_of_time = run.out_of_time or deadline.expired()
                return torch.full((input_ids.shape[0],), run.cancelled.is_set() or run.out_of_time,
                                  dtype=torch.bool, device=input_ids.device)

        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else \
            {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
        kwargs = dict(input_ids=torch.tensor([ids], device=model.device), max_new_tokens=max_tokens,
                      streamer=self.streamer, stopping_criteria=StoppingCriteriaList([_Halt()]),
                      pad_token_id=tok.pad_token_id or tok.eos_token_id, **sampling)
        if stop:
            kwargs.update(stop_strings=stop, tokenizer=tok)   # ends generation; _until_stop trims the text
        self.thread = threading.Thread(target=self._run, args=(model, kwargs), daemon=True)
        self.thread.start()

    def _run(self, model: Any, kwargs: dict) -> None:
        try:
            model.generate(**kwargs)
        except Exception as exc:             # reported to the reader, not lost in the thread
            self.error = exc
            self.streamer.end()

    def pieces(self) -> Iterator[str]:
        try:
            for piece in self.streamer:
                if self.out_of_time or self.deadline.expired():
                    self.out_of_time = True
                    return
                yield piece
        except queue.Empty:
            self.out_of_time = True
        if self.error is not None:
            raise BackendError(f"generation failed: {self.error}") from self.error

    def finish(self) -> None:
        self.cancelled.set()
        self.thread.join()


def _until_stop(pieces: Iterator[str], stop: list[str]) -> Iterator[str]:
    """Pass text through up to the first stop string, holding back what could begin one."""
    if not stop:
        yield from pieces
        return
    hold = max(map(len, stop)) - 1
    buffer = ""
    for piece in pieces:
        buffer += piece
        cuts = [i for i in (buffer.find(s) for s in stop) if i >= 0]
        if cuts:
            if head := buffer[:min(cuts)]:
                yield head
            return
        if len(buffer) > hold:
            cut = len(buffer) - hold
            yield buffer[:cut]
            buffer = buffer[cut:]
    if buffer:
        yield buffer
