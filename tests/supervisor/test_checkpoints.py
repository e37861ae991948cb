"""Session checkpoints: a SQLite file that outlives the process, listed newest first."""

from __future__ import annotations

import sqlite3

from workbench.agents.base import FunctionAgent
from workbench.supervisor.checkpoints import MEMORY, open_saver
from workbench.supervisor.evaluator import Judgement
from workbench.supervisor.supervisor import Supervisor


def make(sessions) -> Supervisor:
    return Supervisor([FunctionAgent(lambda t: f"echo {t}", name="echo", description="echoes")], planner="router",
                      judge=lambda q, r: Judgement(1.0, "", source="rule"), writer=lambda q, e: e, sessions=sessions)


def test_the_store_is_a_wal_sqlite_file_created_with_its_folder(tmp_path):
    path = tmp_path / "deep" / "sessions.db"
    saver = open_saver(path)
    assert path.is_file() and saver.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert saver.thread_ids() == []


def test_sessions_survive_a_new_process_and_are_listed_newest_first(tmp_path):
    path = tmp_path / "sessions.db"
    first = make(path).run("one").session_id
    second = make(path).run("two").session_id
    assert make(path).sessions() == [second, first]
    with sqlite3.connect(path) as con:  # plain SQLite: inspectable without the workbench
        assert con.execute("SELECT COUNT(DISTINCT thread_id) FROM checkpoints").fetchone()[0] == 2


def test_an_in_memory_store_keeps_sessions_for_the_supervisor_only():
    sup = make(MEMORY)
    session = sup.run("q").session_id
    assert sup.sessions() == [session] and make(MEMORY).sessions() == []
