"""Retrieval: corpus and chunks, BM25 and dense indexes, fusion, reranking, context and confidence.

The public entry points are re-exported by ``workbench`` (``Corpus``, ``HybridIndex``, ...).
"""
