"""Compiled programs: saved with their metadata, loaded back with their demos, refused when they do not fit."""

from __future__ import annotations

import json
import subprocess
import sys

import dspy
import pytest

from workbench.programs.compiled import (
    CompiledMeta,
    CompiledProgramError,
    find_compiled,
    load_compiled,
    save_compiled,
)
from workbench.programs.text2sql import VERSION, Text2SQL

DEMO = dict(db_schema="CREATE TABLE singer (singer_id INT, name TEXT)", dialect="sqlite",
            question="How many singers do we have?", feedback="none", sql="SELECT COUNT(*) FROM singer")


def _optimised() -> Text2SQL:
    program = Text2SQL()
    program.generate.demos = [dspy.Example(**DEMO).with_inputs("db_schema", "dialect", "question", "feedback")]
    program.generate.signature = program.generate.signature.with_instructions("Write SQLite. Count with COUNT(*).")
    return program


def _meta(**changes) -> CompiledMeta:
    return CompiledMeta(**{"program": "text2sql", "version": VERSION, "variant": "predict",
                           "lm": "qwen2.5-coder-1.5b", "trainset": "abc", "metric": "ex", "score": 0.8,
                           "baseline": 0.7, "optimizer": "bootstrap", **changes})


def test_a_saved_program_loads_in_a_fresh_process_with_its_demos_and_instructions(tmp_path):
    path = save_compiled(_optimised(), _meta(), tmp_path)
    assert find_compiled("text2sql", "qwen2.5-coder-1.5b", "predict", tmp_path) == path
    assert json.loads(path.read_text())["meta"]["dspy"] == dspy.__version__
    code = (f"from workbench.programs.compiled import load_compiled\n"
            f"from workbench.programs.text2sql import VERSION, Text2SQL\n"
            f"p = Text2SQL()\n"
            f"meta = load_compiled(p, {str(path)!r}, program='text2sql', version=VERSION, variant='predict')\n"
            f"d = p.generate.demos[0]\n"
            f"print(len(p.generate.demos), d['sql'], p.generate.signature.instructions, meta.score, sep='|')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "1|SELECT COUNT(*) FROM singer|Write SQLite. Count with COUNT(*).|0.8"


def test_the_loaded_demos_reach_the_prompt(tmp_path):
    from common import chat_answer, recorded_lm

    from workbench.programs.adapter import LenientChatAdapter

    path = save_compiled(_optimised(), _meta(), tmp_path)
    program = Text2SQL()
    load_compiled(program, path, program="text2sql", version=VERSION, variant="predict")
    lm, llama = recorded_lm(chat_answer(sql="SELECT 1"))
    with dspy.context(lm=lm, adapter=LenientChatAdapter()):
        program(question="How many albums?", db_schema="CREATE TABLE album (id INT)", dialect="sqlite")
    prompt = llama.prompt(0)
    assert "How many singers do we have?" in prompt and "Count with COUNT(*)." in prompt


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"version": "text2sql-v0"}, "version 'text2sql-v0'"),
    ({"variant": "cot"}, "variant 'cot'"),
    ({"program": "judge"}, "program 'judge'"),
])
def test_a_file_for_another_program_version_or_variant_is_refused(tmp_path, kwargs, message):
    path = save_compiled(_optimised(), _meta(**kwargs), tmp_path)
    with pytest.raises(CompiledProgramError, match=message):
        load_compiled(Text2SQL(), path, program="text2sql", version=VERSION, variant="predict")


def test_a_state_that_does_not_fit_the_modules_layout_is_refused_not_loaded_zero_shot(tmp_path):
    path = save_compiled(_optimised(), _meta(variant="cot"), tmp_path)  # a Predict state labelled as CoT
    with pytest.raises(CompiledProgramError, match="differently built program"):
        load_compiled(Text2SQL(chain_of_thought=True), path, program="text2sql", version=VERSION, variant="cot")


def test_the_pipeline_loads_the_program_compiled_for_its_lm_unless_told_not_to(tmp_path, spider_db, monkeypatch):
    from common import chat_answer, recorded_lm

    from workbench.sql.database import Database
    from workbench.sql.text2sql import SQLWriter

    monkeypatch.setattr("workbench.programs.compiled.COMPILED_DIR", tmp_path)
    save_compiled(_optimised(), _meta(lm="local/recorded"), tmp_path)
    lm, llama = recorded_lm(chat_answer(sql="SELECT count(*) FROM singer"))

    writer = SQLWriter(Database.open(spider_db), lm=lm)
    assert writer("How many singers are there?").ok
    assert writer.compiled_meta.optimizer == "bootstrap"
    assert DEMO["question"] in llama.prompt() and "Count with COUNT(*)" in llama.prompt()

    zero = SQLWriter(Database.open(spider_db), lm=lm, compiled=False)
    assert zero("How many singers are there?").ok
    assert zero.compiled_meta is None and DEMO["question"] not in llama.prompt()

    other, other_llama = recorded_lm(chat_answer(sql="SELECT count(*) FROM singer"))
    other.model = "local/another-model"  # compiled programs are filed per LM: none for this one
    assert SQLWriter(Database.open(spider_db), lm=other)("How many singers are there?").ok
    assert DEMO["question"] not in other_llama.prompt()
