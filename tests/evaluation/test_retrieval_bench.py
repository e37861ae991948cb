"""The scale benchmark: rows for each size, the approximate index above the threshold, summary.json."""

from __future__ import annotations

import json

import numpy as np

from workbench.evaluation.retrieval_bench import bench_retrieval, format_table, synthetic_terms, synthetic_vectors


def test_small_sizes_report_latency_build_memory_and_ann_recall(tmp_path, settings):
    rows = bench_retrieval(tmp_path, (2_000, 12_000), queries=20, settings=settings.replace(
        retrieval_ann_threshold=10_000), log=False, progress=False)
    assert [r["size"] for r in rows] == [2_000, 12_000]
    assert [r["index"] for r in rows] == ["flat", "ivf"]
    for row in rows:
        assert {"size", "index", "latency_ms_p50", "latency_ms_p95", "build_s", "rss_mb"} <= set(row)
        assert 0 < row["latency_ms_p50"] <= row["latency_ms_p95"]
    assert 0.5 < rows[1]["ann_recall@10"] <= 1.0
    assert json.loads((tmp_path / "summary.json").read_text()) == rows
    assert "12,000" in format_table(rows)


def test_synthetic_data_is_normalised_and_reproducible():
    vectors = synthetic_vectors(50)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors, synthetic_vectors(50))
    assert synthetic_terms(3, 4) == synthetic_terms(3, 4) and len(synthetic_terms(3, 4)[0]) == 4
