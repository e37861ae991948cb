"""The built-index cache: keyed by what the build reads, so search-only settings reuse one stored index."""

from __future__ import annotations

import workbench
from workbench.retrieval.cache import cached_index
from workbench.retrieval.index import RetrievalConfig


def test_configs_differing_only_in_search_settings_share_one_index(scifact_sample, tmp_path):
    corpus, queries, _ = scifact_sample
    settings = workbench.Settings.from_env(home=tmp_path, cache_dir=tmp_path / "cache")
    weighted, cached = cached_index(corpus, RetrievalConfig(fusion="weighted"), settings, progress=False)
    assert not cached
    rrf, cached = cached_index(corpus, RetrievalConfig(fusion="rrf", depth=50), settings, progress=False)
    assert cached and rrf.config.fusion == "rrf" and rrf.config.depth == 50
    assert len(list((tmp_path / "cache" / "indexes").iterdir())) == 1
    assert [h.doc_id for h in rrf.search(queries[0].text, 10)] != [] and weighted.config.fusion == "weighted"
