"""Built hybrid indexes kept on disk, so a corpus is encoded once per build configuration.

The cache key leaves out the settings that only change searching (fusion,
RRF constant, weights, depth): configurations that differ only there share
one stored index and get their own search settings on load.

Indexes live under ``<cache_dir>/indexes/<corpus fingerprint>-<config key>``;
an index built by an older workbench (``IndexMismatchError`` on load) is
rebuilt in place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import TYPE_CHECKING, Any

from workbench.config import Settings, get_settings

if TYPE_CHECKING:
    from workbench.retrieval.corpus import Corpus
    from workbench.retrieval.index import HybridIndex, RetrievalConfig


QUERY_TIME = ("fusion", "rrf_k", "weights", "depth")  # settings that change searching, not the stored index


def cached_index(corpus: Corpus, config: RetrievalConfig | None = None, settings: Settings | None = None, *,
                 use_cache: bool = True, progress: bool = True) -> tuple[HybridIndex, bool]:
    """The hybrid index of ``corpus`` and whether it came from the cache (built and stored otherwise)."""
    from workbench.retrieval.index import HybridIndex, IndexMismatchError, RetrievalConfig

    settings = settings or get_settings()
    config = config or RetrievalConfig.from_settings(settings)
    if not use_cache:
        return HybridIndex.build(corpus, config, progress=progress), False
    build = {k: v for k, v in config_dict(config).items() if k not in QUERY_TIME}
    key = hashlib.sha256(json.dumps(build, sort_keys=True).encode()).hexdigest()[:12]
    folder = settings.cache_dir / "indexes" / f"{corpus.fingerprint[:16]}-{key}"
    if (folder / "manifest.json").is_file():
        try:
            index = HybridIndex.load(folder, corpus)
        except IndexMismatchError:  # built by an older workbench: rebuild below
            pass
        else:
            searched = {k: getattr(config, k) for k in QUERY_TIME if k != "weights" or config.weights is not None}
            index.config = dataclasses.replace(index.config, **searched)
            return index, True
    index = HybridIndex.build(corpus, config, progress=progress)
    index.save(folder)
    return index, False


def config_dict(config: RetrievalConfig) -> dict[str, Any]:
    """An index configuration as JSON-able values (tuples as lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}
