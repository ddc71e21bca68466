"""Configuration in one place: defaults < ruleassist.toml < RULEASSIST_* environment < flags.

One frozen dataclass, one loader, passed explicitly; nothing reads the environment elsewhere.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping

from ruleassist.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent   # the project checkout


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ruleassist"


@dataclass(frozen=True)
class Config:
    # where things live
    corpora_dir: Path = ROOT / "corpora"                 # synced source files
    mirror_dir: Path = ROOT.parent / "shared" / "corpora"  # local mirror that `corpus sync` copies from
    store_path: Path = ROOT / "data" / "provisions.sqlite"
    index_dir: Path = ROOT / "indexes"
    index_name: str = "default"
    models_dir: Path = _cache_home() / "models"          # outside the repo: survives clones and CI runs
    cache_dir: Path = _cache_home()
    reports_dir: Path = ROOT / "reports"
    # retrieval
    embedder: str = "embeddinggemma"                     # registry name or a sentence-transformers path
    faiss_index: str = "flat"                            # flat / hnsw / ivf
    max_seq_tokens: int = 256
    top_k: int = 10
    fusion_dense_weight: float = -1.0                    # dense share of the fusion; < 0: the weight measured for
                                                         # the index's embedder (index/embedders.py FUSION_WEIGHTS)
    # generation
    llm_backend: str = "llama_cpp"                       # llama_cpp / transformers / openai / fake
    llm_model: str = "qwen2.5-coder-1.5b"                # registry name, path or hub id
    llm_base_url: str = ""                               # OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1
    llm_api_key: str = ""
    llm_threads: int = 2
    llm_ctx: int = 4096
    llm_max_tokens: int = 384
    answer_context_tokens: int = 520                     # provisions in a chat prompt on the local CPU model
    llm_timeout_s: float = 120.0
    llm_concurrency: int = 1                             # parallel requests (raise for vLLM servers)
    # app
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""                                       # "user:password" for shared deployments
    upload_max_mb: int = 20


def _coerce(name: str, value: Any, origin: str) -> Any:
    kind = {f.name: f.type for f in fields(Config)}[name]
    try:
        if kind in ("Path", Path):
            return Path(value).expanduser()
        if kind in ("int", int):
            return int(value)
        if kind in ("float", float):
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{origin}: {name}={value!r} is not a valid {kind}") from None


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None, **flags: Any) -> Config:
    env = os.environ if env is None else env
    known = {f.name for f in fields(Config)}
    values: dict[str, Any] = {}
    path = path or (Path(env["RULEASSIST_CONFIG"]) if env.get("RULEASSIST_CONFIG") else ROOT / "ruleassist.toml")
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown key {key!r}; valid keys: {', '.join(sorted(known))}")
            values[key] = _coerce(key, value, str(path))
    for key, value in env.items():
        if key.startswith("RULEASSIST_") and key != "RULEASSIST_CONFIG":
            name = key.removeprefix("RULEASSIST_").lower()
            if name not in known:
                raise ConfigError(f"environment: unknown setting {key}; valid: "
                                  + ", ".join("RULEASSIST_" + k.upper() for k in sorted(known)))
            values[name] = _coerce(name, value, key)
    for key, value in flags.items():
        if value is not None:
            if key not in known:
                raise ConfigError(f"unknown option {key!r}")
            values[key] = _coerce(key, value, f"--{key}")
    return replace(Config(), **values)
