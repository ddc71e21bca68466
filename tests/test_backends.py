"""The LLM seam: every backend streams, stops, scores options and keeps within its context.

Real models only: SmolLM2-135M (tiny GGUF) through llama.cpp, through llama-cpp-python's own
OpenAI-compatible server and through transformers; Qwen2.5-Coder-1.5B in the slow tests.
"""
from __future__ import annotations

import math
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace

import httpx
import pytest

from ruleassist.backends import BACKENDS, make_backend, scoring_paths
from ruleassist.backends.fake import FakeBackend
from ruleassist.config import Config, load_config
from ruleassist.errors import BackendError, ModelError

SMOL = "smollm2-135m"
QWEN = "qwen2.5-coder-1.5b"
ASK = [{"role": "user", "content": "Name three colours of the rainbow."}]
YES_NO = [{"role": "user", "content": "Is the sky blue on a clear day? Answer yes or no."}]


def _cfg(**kw) -> Config:
    return replace(Config(), **{"llm_threads": 2, "llm_ctx": 2048, "llm_timeout_s": 120.0, **kw})


def _smol_path():
    from ruleassist.models import model_path
    return model_path(Config().models_dir, SMOL)      # ModelError with the pull command if missing


@pytest.fixture(scope="module")
def smol() -> "object":
    pytest.importorskip("llama_cpp", reason="needs the llm extra: bash scripts/llama_wheel.sh")
    _smol_path()
    return make_backend(_cfg(llm_backend="llama_cpp", llm_model=SMOL))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smol_server():
    """llama-cpp-python's OpenAI-compatible server with SmolLM2 on a free loopback port."""
    pytest.importorskip("llama_cpp.server.app", reason="needs the test extra (fastapi, uvicorn, sse-starlette, "
                                                      "starlette-context, pydantic-settings)")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(_smol_path()),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
                             "--n_threads", "2", "--verbose", "false"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_up(url: str, proc: subprocess.Popen, limit_s: float = 90.0) -> None:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"the llama_cpp server exited ({proc.returncode}):\n{proc.stdout.read()[-3000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"the llama_cpp server did not answer on {url} within {limit_s:g} s")


@pytest.fixture(scope="module")
def smol_openai(smol_server):
    return make_backend(_cfg(llm_backend="openai", llm_base_url=smol_server, llm_model=SMOL))


@pytest.fixture(scope="module")
def smol_transformers(request):
    """SmolLM2 through transformers: the only causal LM we have offline is its GGUF.

    The first run loads the GGUF (transformers dequantises it, slowly) and keeps it as a
    Hugging Face folder in the cache outside the repo (CI clones afresh each run, so pytest's own
    cache would not survive); later runs load that folder, the usual production path.
    """
    folder = load_config().cache_dir / "test-models" / "smollm2-135m-hf"
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "config.json").is_file():
        return make_backend(_cfg(llm_backend="transformers", llm_model=str(folder)))
    pytest.importorskip("gguf", reason="transformers reads GGUF files with the gguf package (llm extra)")
    backend = make_backend(_cfg(llm_backend="transformers", llm_model=str(_smol_path())))
    model, tok = backend._loaded()
    _save_plain(model, tok, folder)
    return backend


def _save_plain(model, tok, folder) -> None:
    """transformers won't save a model it read from GGUF; a plain copy of its weights it will."""
    from transformers import AutoModelForCausalLM
    config = model.config
    config.__dict__.pop("quantization_config", None)
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(model.state_dict())
    plain.save_pretrained(folder)
    tok.save_pretrained(folder)


@pytest.fixture(params=["fake", "llama_cpp", "openai", "transformers"])
def any_backend(request):
    return {"fake": lambda: FakeBackend(_cfg()), "llama_cpp": lambda: request.getfixturevalue("smol"),
            "openai": lambda: request.getfixturevalue("smol_openai"),
            "transformers": lambda: request.getfixturevalue("smol_transformers")}[request.param]()


# ---------------------------------------------------------------- the contract, for every backend

_REPLIES: dict[str, list[str]] = {}        # backend name -> pieces of its reply to ASK (generated once)


def _reply(backend) -> list[str]:
    if backend.name not in _REPLIES:
        _REPLIES[backend.name] = list(backend.chat(ASK, max_tokens=24))
    return _REPLIES[backend.name]


def test_chat_streams_pieces_that_join_to_the_reply(any_backend):
    pieces = _reply(any_backend)
    assert len(pieces) >= 3 and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces).strip()
    assert "".join(any_backend.chat(ASK, max_tokens=24)) == "".join(pieces)     # greedy: repeatable


def test_stop_sequence_ends_the_reply_before_it(any_backend):
    full = "".join(_reply(any_backend))
    words = full.split()
    assert len(words) >= 4, full
    stop = words[2]
    cut = "".join(any_backend.chat(ASK, max_tokens=24, stop=[stop]))
    assert cut == full[:full.index(stop)]


def test_score_options_gives_distinct_finite_log_probs(any_backend):
    scores = any_backend.score_options(YES_NO, ["yes", "no"])
    assert set(scores) == {"yes", "no"}
    assert all(math.isfinite(v) and v <= 0 for v in scores.values())
    assert scores["yes"] != scores["no"]


def test_counts_tokens_and_knows_its_context(any_backend):
    assert 0 < any_backend.count_tokens("道路交通法第七十五条") <= len("道路交通法第七十五条".encode())
    assert any_backend.context_size >= 2048
    assert any_backend.name in BACKENDS and any_backend.model_id


# ---------------------------------------------------------------- registry and errors

def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(BackendError) as err:
        make_backend(_cfg(llm_backend="ollama"))
    assert all(name in str(err.value) for name in ("llama_cpp", "transformers", "openai", "fake"))


def test_openai_backend_needs_a_base_url():
    with pytest.raises(BackendError, match="llm_base_url"):
        make_backend(_cfg(llm_backend="openai", llm_base_url=""))


def test_corrupt_gguf_is_a_model_error_naming_file_and_fix(tmp_path):
    pytest.importorskip("llama_cpp", reason="needs the llm extra")
    bad = tmp_path / "x.gguf"
    bad.write_bytes(b"GGUF" + b"\x00garbage" * 1000)
    backend = make_backend(_cfg(llm_backend="llama_cpp", llm_model=str(bad)))
    with pytest.raises(ModelError) as err:
        list(backend.chat(ASK))
    assert str(bad) in str(err.value) and "models pull" in str(err.value)


def test_missing_model_is_a_model_error_with_the_pull_command(tmp_path):
    backend = make_backend(_cfg(llm_backend="llama_cpp", llm_model=QWEN, models_dir=tmp_path))
    with pytest.raises(ModelError, match=f"ruleassist models pull {QWEN}"):
        backend.count_tokens("x")


def test_unreachable_server_is_a_backend_error():
    backend = make_backend(_cfg(llm_backend="openai", llm_base_url=f"http://127.0.0.1:{_free_port()}/v1",
                                llm_timeout_s=5))
    with pytest.raises(BackendError, match="cannot reach"):
        list(backend.chat(ASK))


def test_scoring_paths_follow_options_until_they_part():
    assert scoring_paths(["a", "b"], [[1], [2]], end=0) == [(1,), (2,)]
    assert scoring_paths(["yes", "yes, but", "no"], [[5], [5, 7, 8], [6]], end=0) == [(5, 0), (5, 7), (6,)]
    assert scoring_paths(["いいえ", "いや"], [[3, 4], [3, 9]], end=0) == [(3, 4), (3, 9)]
    with pytest.raises(ValueError):
        scoring_paths(["a", "a"], [[1], [1]], end=0)


# ---------------------------------------------------------------- llama.cpp specifics

def test_timeout_raises_backend_error(smol):
    fast = make_backend(replace(smol.cfg, llm_timeout_s=0.01))   # the clock starts once the model is loaded
    with pytest.raises(BackendError, match="timed out after 0.01 s"):
        list(fast.chat(ASK, max_tokens=200))


def test_prompt_over_the_context_names_the_numbers():
    pytest.importorskip("llama_cpp")
    small = make_backend(_cfg(llm_backend="llama_cpp", llm_model=SMOL, llm_ctx=256))
    with pytest.raises(BackendError, match=r"exceeds the context of 256 tokens; trim the prompt by \d+"):
        list(small.chat([{"role": "user", "content": "法令 " * 400}], max_tokens=50))


def test_options_sharing_a_first_token_are_scored_apart(smol):
    scores = smol.score_options(YES_NO, ["yes", "yes, but", "no"])
    assert all(math.isfinite(v) for v in scores.values()) and len(set(scores.values())) == 3
    first_token_only = smol.score_options(YES_NO, ["yes", "no"])
    assert scores["no"] == pytest.approx(first_token_only["no"], abs=1e-4)   # unaffected by the others
    assert scores["yes"] < first_token_only["yes"]             # "yes" now means "yes, then stop"


def test_concurrent_users_queue_on_one_model(smol):
    expected = "".join(smol.chat(ASK, max_tokens=12))
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append("".join(smol.chat(ASK, max_tokens=12))))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 3


def test_prompt_cache_reuse_leaves_scores_alone(smol):
    """Scoring after a chat reuses the shared prefix of the prompt; no stale state may leak in.

    Only numerical noise may differ: llama.cpp's kernels round differently for a one-token
    batch than for a whole prompt (measured: up to 0.13 nats on SmolLM2, 0.07 on Qwen 1.5B).
    """
    smol._llm.n_tokens = 0
    fresh = smol.score_options(YES_NO, ["yes", "no"])
    "".join(smol.chat(ASK, max_tokens=8))
    assert smol.score_options(YES_NO, ["yes", "no"]) == pytest.approx(fresh, abs=0.25)


def test_transformers_and_llama_cpp_agree_on_the_same_weights(smol, smol_transformers):
    """transformers dequantises the GGUF: same template, same greedy text, log-probs within rounding."""
    options = ["Yes", "No", "Yes, but"]
    a, b = smol.score_options(YES_NO, options), smol_transformers.score_options(YES_NO, options)
    assert a == pytest.approx(b, abs=0.6)
    assert max(a, key=a.get) == max(b, key=b.get) == "No"
    assert "".join(smol.chat(ASK, max_tokens=12)) == "".join(smol_transformers.chat(ASK, max_tokens=12))


def test_openai_server_scores_equal_local_scores(smol, smol_openai):
    """The server runs the same model and template, so the numbers match up to cache rounding."""
    local, remote = smol.score_options(YES_NO, ["Yes", "No"]), smol_openai.score_options(YES_NO, ["Yes", "No"])
    assert remote == pytest.approx(local, abs=0.25)


def test_openai_counts_tokens_with_the_server_tokenizer(smol, smol_openai):
    text = "道路交通法第七十五条の十二 hello"
    assert smol_openai.count_tokens(text) == smol.count_tokens(text)


def test_openai_prompt_over_the_context_names_the_numbers(smol_openai):
    with pytest.raises(BackendError, match="maximum context length is 2048"):
        list(smol_openai.chat([{"role": "user", "content": "法令 " * 3000}], max_tokens=10))


# ---------------------------------------------------------------- the default model

PROVISION = "第十条 何人も、公安委員会の許可を受けないで、道路において特定自動運行を行つてはならない。"
SYSTEM_JA = {"role": "system", "content": "あなたは日本の法令に詳しいアシスタントです。与えられた条文だけに基づいて、"
                                          "必ず日本語で答えてください。"}


def _ask_ja(question: str) -> list[dict]:
    return [SYSTEM_JA, {"role": "user", "content": f"条文:\n{PROVISION}\n\n質問: {question}"}]


@pytest.fixture(scope="module")
def qwen():
    pytest.importorskip("llama_cpp", reason="needs the llm extra")
    return make_backend(_cfg(llm_backend="llama_cpp", llm_model=QWEN, llm_ctx=4096))


YES_NO_JA = "「はい」か「いいえ」で答えてください。"
TRUE_YES = "この条文は、許可を受けずに道路で特定自動運行を行うことを禁止していますか。"
TRUE_NO = "公安委員会の許可なしに道路で特定自動運行を行ってよいですか。"


def _margin(backend, question: str) -> float:
    scores = backend.score_options(_ask_ja(question + YES_NO_JA), ["はい", "いいえ"])
    return scores["はい"] - scores["いいえ"]


@pytest.mark.slow
def test_qwen_judges_a_provision_in_japanese(qwen):
    """Qwen 1.5B leans to いいえ (measured: 4 of 6 such questions), so also check the direction.

    The margin log p(はい) - log p(いいえ) must be higher for the question whose answer is はい.
    """
    yes, no = _margin(qwen, TRUE_YES), _margin(qwen, TRUE_NO)
    assert yes > 0 > no, (yes, no)
    assert _margin(qwen, "特定自動運行を行うには公安委員会の許可が必要ですか。") > no


@pytest.mark.slow
def test_qwen_answers_in_japanese(qwen):
    text = "".join(qwen.chat(_ask_ja("特定自動運行を行うには誰の許可が必要ですか。一文で答えてください。"), max_tokens=60))
    assert sum("\u3040" <= ch <= "\u30ff" for ch in text) >= 3, text        # kana: Japanese, not Chinese
    assert "公安委員会" in text, text
