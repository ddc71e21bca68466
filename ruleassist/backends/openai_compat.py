"""OpenAI-compatible HTTP backend: vLLM, llama.cpp's llama-server, llama-cpp-python's server, TGI.

Plain httpx against {llm_base_url}/chat/completions, streaming by server-sent events. Up to
llm_concurrency requests run at once (raise it for vLLM, which batches them). The API key is
optional (sent as a Bearer token when set).

score_options reads the first token's `top_logprobs` (20) from one /chat/completions call.
Only first-token log-probabilities are available that way, so options must differ in their
first token; an option missing from the top 20 gets an upper bound on its log-probability
(the lowest listed value), which keeps the ranking right. A server without logprobs raises
BackendError: we never make a score up.
"""
from __future__ import annotations

import json
import logging
import math
import threading
from typing import Any, Iterator

import httpx

from ruleassist.backends import Deadline, Message, backend, timed_out
from ruleassist.config import Config
from ruleassist.errors import BackendError

log = logging.getLogger(__name__)
TOP_LOGPROBS = 20          # the most OpenAI and vLLM (default max_logprobs) hand out
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)   # connection closed under us, no answer


@backend("openai")
def _make(cfg: Config) -> "OpenAIBackend":
    if not cfg.llm_base_url:
        raise BackendError("llm_backend = \"openai\" needs llm_base_url, e.g. http://127.0.0.1:8000/v1 "
                           "(RULEASSIST_LLM_BASE_URL)")
    return OpenAIBackend(cfg)


class OpenAIBackend:
    name = "openai"

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.model_id = str(cfg.llm_model)
        self.base = cfg.llm_base_url.rstrip("/")
        self.root = self.base.removesuffix("/v1")           # vLLM and llama-server put /tokenize here
        self._slots = threading.BoundedSemaphore(max(1, cfg.llm_concurrency))
        self._client: httpx.Client | None = None
        self._tokenizer: tuple[str, str] | None = None      # (url, style) once one has answered
        self._context: int | None = None

    def _new_client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.cfg.llm_api_key}"} if self.cfg.llm_api_key else {}
        timeout = httpx.Timeout(self.cfg.llm_timeout_s, connect=min(10.0, self.cfg.llm_timeout_s))
        limits = httpx.Limits(max_connections=max(1, self.cfg.llm_concurrency))
        return httpx.Client(headers=headers, timeout=timeout, limits=limits)

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def _post(self, url: str, body: dict) -> dict:
        with self._slots, _mapped_errors(self, url):
            try:
                resp = self._http().post(url, json=body)
            except _DROPPED:                 # a kept-alive connection the server had closed: once more
                with self._new_client() as fresh:
                    resp = fresh.post(url, json=body)
            _raise_for_status(self, resp)
            return resp.json()

    # ------------------------------------------------------------ the protocol

    def chat(self, messages: list[Message], max_tokens: int | None = None, stop: list[str] | None = None,
             temperature: float = 0.0) -> Iterator[str]:
        body: dict[str, Any] = {"model": self.model_id, "messages": messages, "stream": True,
                                "max_tokens": self.cfg.llm_max_tokens if max_tokens is None else max_tokens,
                                "temperature": temperature}
        if stop:
            body["stop"] = list(stop)
        return self._stream(f"{self.base}/chat/completions", body)

    def _stream(self, url: str, body: dict) -> Iterator[str]:
        with self._slots, _mapped_errors(self, url):
            deadline = Deadline(self.cfg.llm_timeout_s)
            done, pieces = yield from self._stream_once(self._http(), url, body, deadline)
            if not done and not pieces:      # dropped before any text: a stale connection, or an error
                with self._new_client() as fresh:
                    done, pieces = yield from self._stream_once(fresh, url, body, deadline)
            if not done and not pieces:      # llama-cpp-python drops streams it fails; ask plainly for why
                with self._new_client() as fresh:
                    _raise_for_status(self, fresh.post(url, json={**body, "stream": False, "max_tokens": 1}))
        if not done:
            raise BackendError(f"{url} ended the reply stream early (after {pieces} pieces, no [DONE]); "
                               "see the server's log")

    def _stream_once(self, client: httpx.Client, url: str, body: dict, deadline: Deadline):
        """Yield the text pieces of one streamed request; return (saw [DONE], pieces yielded)."""
        pieces = 0
        try:
            with client.stream("POST", url, json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    _raise_for_status(self, resp)
                for event in _sse_events(resp.iter_lines()):
                    deadline.check()
                    if event is DONE:
                        return True, pieces
                    if "error" in event:
                        raise BackendError(f"{url}: the server reported an error: {event['error']}")
                    if piece := ((event.get("choices") or [{}])[0].get("delta") or {}).get("content"):
                        pieces += 1
                        yield piece
        except _DROPPED:
            if pieces:
                raise
        return False, pieces

    def score_options(self, messages: list[Message], options: list[str]) -> dict[str, float]:
        if len(set(options)) != len(options) or not all(options):
            raise ValueError(f"options must be distinct and non-empty: {options!r}")
        url = f"{self.base}/chat/completions"
        data = self._post(url, {"model": self.model_id, "messages": messages, "max_tokens": 1,
                                "temperature": 0.0, "logprobs": True, "top_logprobs": TOP_LOGPROBS})
        content = ((data.get("choices") or [{}])[0].get("logprobs") or {}).get("content")
        if not content or not content[0].get("top_logprobs"):
            raise BackendError(f"{url} returned no top_logprobs: this server or model lacks logprobs support, "
                               "so score_options cannot work with it (vLLM, llama-server and llama-cpp-python's "
                               "server provide them)")
        return first_token_scores(options, content[0])

    def count_tokens(self, text: str) -> int:
        """The server's own count where it has a tokenize endpoint; else UTF-8 bytes, an upper bound."""
        if self._tokenizer is None:
            self._tokenizer = self._find_tokenizer()
        url, style = self._tokenizer
        if style == "bytes":
            return len(text.encode("utf-8"))
        resp = self._tokenize(url, style, text)
        _raise_for_status(self, resp)
        data = resp.json()
        return int(data["count"]) if "count" in data else len(data["tokens"])

    def _find_tokenizer(self) -> tuple[str, str]:
        for url, style in ((f"{self.root}/tokenize", "vllm"),                     # vLLM, llama-server
                           (f"{self.root}/extras/tokenize/count", "llama-cpp-python")):
            if self._tokenize(url, style, "a").status_code == 200:
                return url, style
        log.warning("%s has no tokenize endpoint; counting UTF-8 bytes, an upper bound", self.base)
        return "", "bytes"

    def _tokenize(self, url: str, style: str, text: str) -> httpx.Response:
        # vLLM reads "prompt", llama-server "content" (each ignores the other), llama-cpp-python "input"
        body = ({"model": self.model_id, "input": text} if style == "llama-cpp-python" else
                {"model": self.model_id, "prompt": text, "content": text, "add_special_tokens": False})
        with _mapped_errors(self, url):      # no slot taken: tokenizing is cheap and never queues
            return self._http().post(url, json=body)

    @property
    def context_size(self) -> int:
        """The server's context where it tells it (vLLM: /models max_model_len; llama-server: /props
        n_ctx); llm_ctx otherwise (llama-cpp-python's server), which must then match the server's."""
        if self._context is None:
            with _mapped_errors(self, f"{self.base}/models"):
                resp = self._http().get(f"{self.base}/models")
                _raise_for_status(self, resp)
                entry = next((m for m in resp.json().get("data", []) if m.get("id") == self.model_id), {})
                n_ctx = entry.get("max_model_len") or self._props_n_ctx()
            self._context = int(n_ctx or self.cfg.llm_ctx)
        return self._context

    def _props_n_ctx(self) -> int | None:
        resp = self._http().get(f"{self.root}/props")
        if resp.status_code != 200:
            return None
        try:
            return (resp.json().get("default_generation_settings") or {}).get("n_ctx")
        except ValueError:
            return None

    def served_models(self) -> list[str]:
        try:
            resp = self._http().get(f"{self.base}/models")
            return [m.get("id", "?") for m in resp.json().get("data", [])]
        except (httpx.HTTPError, ValueError):
            return []


# ---------------------------------------------------------------- helpers

class _mapped_errors:
    """httpx failures become BackendError with the URL and what to check."""

    def __init__(self, owner: OpenAIBackend, url: str):
        self.owner, self.url = owner, url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, httpx.TimeoutException):
            raise timed_out(self.owner.cfg.llm_timeout_s, f"request to {self.url}") from None
        if isinstance(exc, httpx.HTTPError):
            raise BackendError(f"cannot reach {self.url}: {exc}; is the server running "
                               "(check llm_base_url)?") from None
        return False


def _raise_for_status(owner: OpenAIBackend, resp: httpx.Response) -> None:
    if resp.status_code < 400:
        return
    try:
        detail = resp.json()
        detail = detail.get("error", detail) if isinstance(detail, dict) else detail
        detail = detail.get("message", detail) if isinstance(detail, dict) else detail
    except ValueError:
        detail = resp.text[:500]
    hint = ""
    if resp.status_code == 404 and "model" in str(detail).lower():
        hint = f"; the server serves: {', '.join(owner.served_models()) or '?'} (set llm_model to one)"
    elif resp.status_code in (401, 403):
        hint = "; check llm_api_key"
    raise BackendError(f"{resp.request.url} answered {resp.status_code}: {detail}{hint}")


DONE: dict = {}                              # the `data: [DONE]` event, compared by identity


def _sse_events(lines: Iterator[str]) -> Iterator[dict]:
    """The JSON payloads of a server-sent-event stream, then DONE if the server sent [DONE]."""
    for line in lines:
        if not line.startswith("data:"):
            continue                         # blank separators, comments, event: lines
        data = line[5:].strip()
        if data == "[DONE]":
            yield DONE
            return
        if data:
            yield json.loads(data)


def _token_bytes(entry: dict) -> bytes:
    return bytes(entry["bytes"]) if entry.get("bytes") else entry.get("token", "").encode("utf-8")


def first_token_scores(options: list[str], first: dict) -> dict[str, float]:
    """Option → log-prob of its first token, from one `logprobs.content[0]` entry (see module doc)."""
    listed: dict[bytes, float] = {}
    for entry in [first, *first.get("top_logprobs", [])]:
        token, lp = _token_bytes(entry), float(entry["logprob"])
        if token and lp > listed.get(token, -math.inf):
            listed[token] = lp
    chosen = {o: max((t for t in listed if o.encode("utf-8").startswith(t)), key=len, default=None) for o in options}
    for option, token in chosen.items():
        rivals = [o for o in options if o != option and token and o.encode("utf-8").startswith(token)]
        if rivals:
            raise BackendError(f"options {option!r} and {rivals[0]!r} start with the same token "
                               f"{token.decode('utf-8', 'replace')!r}; an OpenAI-compatible server only gives "
                               "first-token log-probs, so use options that differ in their first token")
    if all(t is None for t in chosen.values()):
        seen = ", ".join(repr(t.decode("utf-8", "replace")) for t in listed)
        raise BackendError(f"none of the options {options!r} is among the server's top {TOP_LOGPROBS} "
                           f"first tokens ({seen}); rephrase the prompt so the model answers with an option")
    bound = min(listed.values())   # an unlisted token is no likelier than the least likely listed one
    return {o: (listed[t] if t is not None else bound) for o, t in chosen.items()}
