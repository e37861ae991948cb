"""Ranking metrics over qrels, with the conventions of BEIR and ``trec_eval``.

Relevance grades come from the qrels; a grade of 0 or less is not relevant.
nDCG uses linear gain (``grade / log2(rank + 1)``), as ``pytrec_eval``'s
``ndcg_cut`` does, and the ideal ranking of the query's judged documents.
Recall@k is the share of the relevant documents found in the top ``k``;
MRR@k is ``1 / rank`` of the first relevant document within the top ``k``.
A query without any relevant document is skipped (it has no defined score).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k of one ranking against one query's graded judgements."""
    dcg = sum(max(grades.get(doc, 0), 0) / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], 1))
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = 100) -> float:
    """Share of the query's relevant documents that appear in the top ``k``."""
    relevant = {doc for doc, g in grades.items() if g > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document in the top ``k`` (0 if none)."""
    for rank, doc in enumerate(ranked[:k], 1):
        if grades.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def score_run(run: Mapping[str, Sequence[str]], qrels: Qrels) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Mean ``ndcg@10``, ``recall@100``, ``mrr@10`` (and ``n``) over judged queries, plus per-query values.

    A judged query missing from ``run`` counts as an empty ranking (all zeros).
    """
    per_query: dict[str, dict[str, float]] = {}
    for qid, grades in qrels.items():
        if not any(g > 0 for g in grades.values()):
            continue
        ranked = list(run.get(qid, ()))
        per_query[qid] = {"ndcg@10": ndcg_at_k(ranked, grades, 10), "recall@100": recall_at_k(ranked, grades, 100),
                          "mrr@10": mrr_at_k(ranked, grades, 10)}
    means = {name: round(statistics.fmean(q[name] for q in per_query.values()), 4) if per_query else 0.0
             for name in ("ndcg@10", "recall@100", "mrr@10")}
    means["n"] = len(per_query)
    return means, per_query
