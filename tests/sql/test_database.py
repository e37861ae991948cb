"""Read-only databases: introspection, guarded execution, row limits, timeouts, files untouched."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from common import ROOT, sha256

from workbench.sql.database import Database, QueryError
from workbench.sql.guard import UnsafeSQLError

sys.path.insert(0, str(ROOT / "scripts"))
from build_demo_db import build

SLOW = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build(path)
    return path


def test_sqlite_schema_has_tables_keys_and_renders_for_prompts(spider_db):
    db = Database.open(spider_db)
    assert db.dialect == "sqlite"
    assert [t.name for t in db.tables] == ["stadium", "singer", "concert", "singer_in_concert"]
    concert = next(t for t in db.tables if t.name == "concert")
    assert ("Stadium_ID", "stadium", "Stadium_ID") in concert.foreign_keys
    text = db.schema_text()
    assert "CREATE TABLE singer (" in text and "Singer_ID INT PRIMARY KEY" in text
    assert "PRIMARY KEY (concert_ID, Singer_ID)" in text


def test_duckdb_demo_schema_and_query(demo_db):
    db = Database.open(demo_db)
    assert db.dialect == "duckdb"
    assert {t.name for t in db.tables} == {"countries", "country_stats", "restaurant_tips", "stock_prices", "iris"}
    result = db.execute("SELECT continent, count(*) AS n FROM countries GROUP BY continent ORDER BY n DESC")
    assert result.frame.iloc[0].tolist() == ["Africa", 52]
    assert "FOREIGN KEY (country) REFERENCES countries(country)" in db.schema_text()


def test_row_limit_truncates_and_says_so(spider_db):
    result = Database.open(spider_db).execute("SELECT * FROM singer", row_limit=2)
    assert len(result.frame) == 2 and result.truncated


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_runaway_query_is_interrupted(kind, spider_db, demo_db):
    db = Database.open(spider_db if kind == "sqlite" else demo_db)
    with pytest.raises(QueryError) as caught:
        db.execute(SLOW, timeout_s=0.5)
    assert caught.value.timed_out and "timed out" in str(caught.value)


def test_files_are_byte_identical_after_refused_and_allowed_queries(spider_db, demo_db):
    before = {p: sha256(p) for p in (spider_db, demo_db)}
    for path in before:
        db = Database.open(path)
        table = db.tables[0].name
        db.execute(f"SELECT * FROM {table}")
        for sql in (f"DELETE FROM {table}", f"DROP TABLE {table}", f"COPY {table} TO 'x.csv'"):
            with pytest.raises(UnsafeSQLError):
                db.execute(sql)
    assert {p: sha256(p) for p in before} == before


def test_duckdb_connection_itself_refuses_file_access(demo_db):
    con = Database.open(demo_db)._duckdb()
    with pytest.raises(Exception, match=r"(?i)external access|permission"):
        con.execute("SELECT * FROM read_csv('/etc/hostname')").fetchall()


def test_opening_a_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.duckdb"):
        Database.open(tmp_path / "nope.duckdb")


def test_sqlalchemy_url_is_introspected_queried_and_kept_read_only(spider_db):
    before = sha256(spider_db)
    db = Database.open(f"sqlite:///{spider_db}")
    assert db.dialect == "sqlite" and db.url
    assert {t.name for t in db.tables} == {"stadium", "singer", "concert", "singer_in_concert"}
    concert = next(t for t in db.tables if t.name == "concert")
    assert ("Stadium_ID", "stadium", "Stadium_ID") in concert.foreign_keys
    assert db.execute("SELECT count(*) FROM singer").frame.iloc[0, 0] == 6
    with pytest.raises(UnsafeSQLError):
        db.execute("DELETE FROM singer")
    assert sha256(spider_db) == before


def test_unknown_url_scheme_names_the_driver_to_install():
    with pytest.raises(ValueError, match="driver"):
        Database.open("nosuchdb://user@host/db")


def test_in_memory_database_from_dataframes_answers_and_refuses_files():
    import pandas as pd

    db = Database.from_frames({"sales": pd.DataFrame({"region": ["N", "S", "N"], "amount": [1, 2, 3]})})
    assert db.dialect == "duckdb" and "in-memory" not in repr(db) and ":memory:" in repr(db)
    result = db.execute("SELECT region, sum(amount) AS total FROM sales GROUP BY region ORDER BY region")
    assert result.frame.values.tolist() == [["N", 4], ["S", 2]]
    with pytest.raises(Exception, match=r"(?i)external access|permission"):
        db._duckdb().execute("SELECT * FROM read_csv('/etc/hostname')").fetchall()
