"""``workbench bench answer`` plumbing: what it measures from a streamed run, and its summary (scripted agents and
a writer that streams like the local engine; the real-model figures come from the command itself)."""

from __future__ import annotations

import json

import pytest

from workbench.agents.base import AgentRegistry, agent
from workbench.errors import InputError
from workbench.evaluation.answer_bench import bench_answer, demo_questions, read_questions
from workbench.supervisor.supervisor import Supervisor
from workbench.tracing import current_trace

SUMMARY_KEYS = {"first_event_ms_p50", "first_token_s_p50", "total_s_p50", "total_s_p95", "stages", "lm_calls_mean",
                "prompt_tokens_mean", "cached_prompt_tokens_mean", "cpu_count", "n"}


@agent(name="data_analysis", description="Runs SQL.")
async def _data(task: str) -> str:
    return f"rows for {task}"


def _streaming_writer(question: str, evidence: str) -> str:
    trace = current_trace()
    assert trace is not None
    trace.emit("lm_call", "m", elapsed_ms=5.0, prompt_tokens=300, cached_tokens=256, completion_tokens=4)
    for word in ("The", " answer"):
        trace.notify("lm_token", "m", text=word)
    return "The answer"


def _supervisor(writer=_streaming_writer) -> Supervisor:
    return Supervisor(AgentRegistry([_data]), planner="router", writer=writer, sessions=":memory:")


def test_a_run_is_timed_by_stage_with_its_lm_tokens(tmp_path):
    summary = bench_answer(["How many rows per year?", "What is the total?"], tmp_path, supervisor=_supervisor(),
                           repeat=2, warmup=False, log=False, echo=False)
    assert set(summary) >= SUMMARY_KEYS and summary.n == 4
    assert {"plan", "select", "execute", "evaluate", "answer", "agent:data_analysis"} <= set(summary.stages)
    assert summary.lm_calls_mean == 1 and summary.cached_prompt_tokens_mean == 256
    assert summary.stage_lm["answer"]["prompt_tokens"] == 300
    assert 0 < summary.first_token_s_p50 <= summary.total_s_p50
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").open()]
    assert [r["round"] for r in rows] == [0, 0, 1, 1] and all(r["answer_streamed"] for r in rows)
    assert json.loads((tmp_path / "summary.json").read_text())["n"] == 4


def test_an_answer_not_written_token_by_token_counts_its_first_token_at_the_answer(tmp_path):
    summary = bench_answer(["How many rows?"], tmp_path, supervisor=_supervisor(lambda q, e: "Done."), warmup=False,
                           log=False, echo=False)
    row = json.loads((tmp_path / "results.jsonl").read_text())
    assert not row["answer_streamed"] and row["first_token_s"] <= row["total_s"]
    assert summary.lm_calls_mean == 0


def test_questions_come_from_the_demo_or_a_file(tmp_path):
    assert len(read_questions("demo")) == len(demo_questions()) == 3
    listed = tmp_path / "q.json"
    listed.write_text(json.dumps([{"question": "a?"}, "b?"]))
    assert read_questions(str(listed)) == ["a?", "b?"]
    lines = tmp_path / "q.txt"
    lines.write_text("a?\n\nb?\n")
    assert read_questions(str(lines)) == ["a?", "b?"]
    with pytest.raises(InputError, match="No questions file"):
        read_questions(str(tmp_path / "missing.json"))
    with pytest.raises(InputError, match="--repeat"):
        bench_answer(["a?"], tmp_path, supervisor=_supervisor(), repeat=0, log=False, echo=False)
