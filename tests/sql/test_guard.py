"""The statement guard refuses anything but one read-only query, and says why."""

from __future__ import annotations

import pytest

from workbench.sql.guard import SQLSyntaxError, UnsafeSQLError, check_sql

TABLES = ["singer", "concert", "stadium", "singer_in_concert"]

REFUSED = [
    "DROP TABLE singer",
    "DELETE FROM singer",
    "UPDATE singer SET age = 1",
    "INSERT INTO singer VALUES (1)",
    "CREATE TABLE x AS SELECT * FROM singer",
    "ALTER TABLE singer ADD COLUMN x INT",
    "SELECT 1; DROP TABLE singer",
    "SELECT * FROM singer; SELECT * FROM concert",
    "WITH d AS (DELETE FROM singer RETURNING *) SELECT * FROM d",
    "PRAGMA table_info(singer)",
    "ATTACH 'other.db' AS other",
    "DETACH other",
    "COPY singer TO '/tmp/out.csv'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SELECT * INTO backup FROM singer",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM query('DROP TABLE singer')",
    "SELECT getenv('HOME')",
    "SELECT * FROM sqlite_scan('x.db', 'singer')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM other.main.singer",
    "SELECT * FROM users",
    "",
    "   ",
    "SELECT 1 /* ok */; -- \n DROP TABLE singer",
    "BEGIN TRANSACTION",
    "VACUUM",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refuses_with_a_reason(sql):
    with pytest.raises((UnsafeSQLError, SQLSyntaxError)) as caught:
        check_sql(sql, "duckdb", tables=TABLES)
    assert caught.value.sql == sql
    assert str(caught.value)


ALLOWED = [
    "SELECT count(*) FROM singer",
    "select name, age from singer where age > 30 order by age desc limit 3",
    "WITH old AS (SELECT * FROM singer WHERE age > 40) SELECT count(*) FROM old",
    "SELECT s.name FROM singer AS s JOIN singer_in_concert AS c ON s.singer_id = c.singer_id",
    "SELECT name FROM singer UNION SELECT name FROM stadium",
    "SELECT 1 -- a comment",
    "SELECT * FROM Singer",
    "SELECT name FROM singer;",
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_allows_read_only_queries(sql):
    assert check_sql(sql, "sqlite", tables=TABLES) is not None


def test_unknown_table_error_lists_the_real_tables():
    with pytest.raises(UnsafeSQLError, match="Use only these tables: concert, singer"):
        check_sql("SELECT * FROM singers", "sqlite", tables=TABLES)


def test_overlong_sql_is_refused():
    with pytest.raises(UnsafeSQLError, match="longer than"):
        check_sql("SELECT 1 " + "+ 1 " * 10_000, "duckdb")
