"""The ONNX Runtime encoder: which models qualify, the export cache key, and padded batches equal to single texts."""

from __future__ import annotations

import os

import numpy as np
import pytest

from workbench.retrieval.onnx_encoder import _files_key, supports


def module(name: str, **attrs):
    return type(name, (), attrs)()


@pytest.mark.parametrize(("modules", "expected"), [
    ([module("Transformer"), module("Pooling", pooling_mode="mean")], True),
    ([module("Transformer"), module("Pooling", pooling_mode="mean"), module("Normalize")], True),
    ([module("Transformer"), module("Pooling", get_pooling_mode_str=lambda self: "mean")], True),
    ([module("Transformer"), module("Pooling", pooling_mode="cls"), module("Normalize")], False),
    ([module("Transformer"), module("Pooling", pooling_mode="mean"), module("Dense")], False),
    ([module("Transformer")], False),
    ([module("Pooling", pooling_mode="mean"), module("Transformer")], False),
])
def test_only_transformer_plus_mean_pooling_models_are_exported(modules, expected):
    # A CLS-pooled or Dense-headed model would give different vectors from ONNX than from PyTorch.
    assert supports(modules) is expected


def test_the_export_cache_key_follows_the_model_files(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"weights")
    key = _files_key(model)
    assert key == _files_key(model) and len(key) == 16
    (model / "README.md").write_text("not a weight file")
    assert _files_key(model) == key
    (model / "model.safetensors").write_bytes(b"new weights")  # a reinstalled or retrained model
    assert _files_key(model) != key


def test_the_export_cache_key_changes_when_a_file_is_touched(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    key = _files_key(model)
    stat = (model / "config.json").stat()
    os.utime(model / "config.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert _files_key(model) != key


def test_two_model_folders_with_equal_files_get_different_keys(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
        os.utime(tmp_path / name / "config.json", ns=(0, 0))
    assert _files_key(tmp_path / "a") != _files_key(tmp_path / "b")


def test_a_padded_onnx_batch_gives_each_text_its_own_vector():
    # Padding must be masked out of the mean pooling, or short texts batched with long ones would drift.
    from workbench.retrieval.dense import Encoder

    encoder = Encoder(backend="onnx")
    runner = encoder._runner()
    assert supports(encoder.model) and runner is not None
    texts = ["p53", "Statins lower LDL cholesterol and reduce cardiovascular events in adults over sixty."]
    batch = runner.encode(texts)
    assert batch.shape == (2, 384) and np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    for text, vector in zip(texts, batch, strict=True):
        assert float(vector @ runner.encode([text])[0]) > 0.9999
