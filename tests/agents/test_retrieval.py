"""InformationRetrievalAgent: async execute returns a cited context, sources with scores, and a confidence."""

from __future__ import annotations

import asyncio

from workbench.agents.retrieval import InformationRetrievalAgent, RetrievalTask
from workbench.retrieval.corpus import Corpus, Document


def test_execute_returns_context_sources_and_confidence(scifact_index, scifact_sample):
    queries = scifact_sample[1]
    agent = InformationRetrievalAgent(scifact_index, k=3)
    result = asyncio.run(agent.execute(queries[2].text))
    assert result.ok and len(result.sources) == 3
    assert result.context.startswith("[1] ") and "(doc " in result.context
    assert [s.number for s in result.sources] == [1, 2, 3]
    assert result.sources[0].score >= result.sources[1].score
    assert 0.0 <= result.confidence <= 1.0 and result.timings_ms["total"] > 0
    assert "confidence" in result._repr_html_() and result.sources[0].doc_id in result._repr_html_()
    assert list(result.to_frame()["source"]) == [1, 2, 3]
    assert agent.health()["ok"]


def test_agents_run_concurrently_in_one_event_loop(scifact_index, scifact_sample):
    agent = InformationRetrievalAgent(scifact_index)

    async def both():
        return await asyncio.gather(*(agent.execute(RetrievalTask(q.text, k=2)) for q in scifact_sample[1][:4]))

    results = asyncio.run(both())
    assert [len(r.sources) for r in results] == [2, 2, 2, 2]


def test_empty_question_is_an_error_result_not_an_exception(scifact_index):
    result = InformationRetrievalAgent(scifact_index).search("  ")
    assert not result.ok and "empty query" in result.error and result.confidence == 0.0


def test_agent_builds_its_index_from_a_folder_of_notes(tmp_path):
    (tmp_path / "returns.md").write_text("# Returns policy\nItems can be returned within 30 days with a receipt.")
    (tmp_path / "shipping.md").write_text("# Shipping\nOrders ship within two business days.")
    agent = InformationRetrievalAgent(tmp_path, k=1)
    result = agent.search("How long do I have to return an item?")
    assert result.sources[0].doc_id == "returns.md" and "30 days" in result.context


def test_agent_accepts_a_corpus():
    agent = InformationRetrievalAgent(Corpus([Document("a", "Paris is the capital of France.")]), k=1)
    assert agent.search("capital of France").sources[0].doc_id == "a"


def test_the_result_is_an_agent_result_with_evidence_record_and_events(scifact_index, scifact_sample):
    import json

    from workbench.agents.result import AgentResult

    result = InformationRetrievalAgent(scifact_index, k=3).search(scifact_sample[1][2].text)
    assert isinstance(result, AgentResult)
    assert result.evidence().startswith(f"Confidence {result.confidence:.2f}\n[1] ")
    record = result.record()
    assert record["type"] == "sources" and [s["number"] for s in record["sources"]] == [1, 2, 3]
    assert json.loads(json.dumps(record)) == record
    [(kind, data)] = result.trace_events()
    assert kind == "retrieval" and data["hits"] == 3 and data["doc_ids"] == [s.doc_id for s in result.sources]


def test_a_search_without_sources_says_so_in_its_evidence(scifact_index):
    result = InformationRetrievalAgent(scifact_index).search("  ")
    assert result.evidence().startswith("No sources found (") and result.record()["sources"] == []
