"""A new agent with its own result type runs through the supervisor, the trace viewer and the session store.

The agent is the documented example, ``docs/examples/glossary_agent.py``; nothing under
``workbench/supervisor/`` knows about it.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from workbench.agents.result import AgentResult
from workbench.supervisor.supervisor import Supervisor

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = runpy.run_path(str(ROOT / "docs" / "examples" / "glossary_agent.py"))


def writer(question: str, evidence: str) -> str:
    return evidence.splitlines()[-1]


@pytest.fixture
def supervisor(tmp_path):
    return Supervisor([EXAMPLE["GlossaryAgent"]()], planner="router", judge=EXAMPLE["rule_judge"], writer=writer,
                      sessions=tmp_path / "sessions.db", max_iterations=1)


def test_the_example_result_has_the_agent_result_shape():
    assert isinstance(EXAMPLE["Definition"]("churn rate", "x", ["churn rate"]), AgentResult)


def test_its_evidence_reaches_the_answer_and_its_record_the_session(supervisor):
    result = supervisor.run("What does churn rate mean?")
    assert result.ok and result.answer == f"Glossary: churn rate: {EXAMPLE['GLOSSARY']['churn rate']}"
    [record] = result.records.values()
    assert record["payload"] == {"type": "definition", "term": "churn rate", "text": EXAMPLE["GLOSSARY"]["churn rate"]}
    assert result.evidence(next(iter(result.records))).term == "churn rate"  # the live object
    assert "<b>churn rate</b>" in result._repr_html_()


def test_its_trace_events_appear_inside_the_agents_span(supervisor):
    result = supervisor.run("What does tip rate mean?")
    kinds = [(e.kind, e.name) for e in result.trace if e.name == "glossary"]
    assert kinds == [("agent_start", "glossary"), ("observation", "glossary"), ("agent_end", "glossary")]
    assert result.trace.of_kind("observation")[0].data["term"] == "tip rate"


def test_the_trace_viewer_shows_what_it_reported(supervisor):
    pytest.importorskip("ipywidgets")
    from workbench.widgets.trace_viewer import TraceViewer

    viewer = TraceViewer(supervisor.run("What does life expectancy mean?").trace)
    assert "glossary" in viewer._details.value and "term=life expectancy" in viewer._details.value
    assert "0 errors" in viewer._summary.value


def test_a_reloaded_session_shows_the_record_without_the_live_object(supervisor, tmp_path):
    session = supervisor.run("What does churn rate mean?").session_id
    reloaded = Supervisor([EXAMPLE["GlossaryAgent"]()], planner="router", judge=EXAMPLE["rule_judge"],
                          writer=writer, sessions=tmp_path / "sessions.db").result(session)
    assert reloaded.answer.startswith("Glossary: churn rate:") and not reloaded.live
    key = next(iter(reloaded.records))
    assert reloaded.evidence(key) == {"type": "definition", "term": "churn rate",
                                      "text": EXAMPLE["GLOSSARY"]["churn rate"]}
    assert "&quot;term&quot;: &quot;churn rate&quot;" in reloaded._repr_html_()
    assert [e.kind for e in reloaded.trace if e.name == "glossary"][1] == "observation"


def test_a_term_it_does_not_know_is_a_failed_result_with_its_reason(supervisor):
    result = supervisor.run("What does bounce rate mean?")
    [record] = result.records.values()
    assert not record["ok"] and record["error_kind"] == "result"
    assert record["error"] == "no glossary entry for bounce rate"
    assert "No answer" in result.answer
