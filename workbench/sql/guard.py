"""The statement guard: generated SQL must be exactly one read-only query.

``check_sql`` parses with sqlglot in the target dialect and rejects, with the
reason, anything that is not a single ``SELECT``-style query: DDL, DML,
``PRAGMA``, ``ATTACH``, ``COPY``, ``INSTALL``/``LOAD``, ``SELECT ... INTO``,
table functions that read or write files or run other SQL, and references to
tables the database does not have. The guard is the first line of defence;
connections opened by ``workbench.sql.Database`` are read-only as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from sqlglot import exp

MAX_SQL_CHARS = 20_000

# Statement kinds that change state or reach outside the database.
_FORBIDDEN_NODES = (
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterColumn", "TruncateTable",
    "Command", "Pragma", "Copy", "Attach", "Detach", "Set", "Use", "Transaction", "Commit", "Rollback",
    "LoadData", "Into", "Install", "Grant", "Revoke", "Analyze", "Export", "Describe", "Summarize", "Refresh",
)

# Functions that read or write files, reach other databases, run SQL text or leak the environment.
FORBIDDEN_FUNCTIONS = frozenset({
    "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "parquet_metadata", "parquet_schema",
    "read_json", "read_json_auto", "read_json_objects", "read_ndjson", "read_ndjson_auto", "read_text",
    "read_blob", "read_xlsx", "glob", "sqlite_scan", "sqlite_attach", "postgres_scan", "postgres_query",
    "mysql_scan", "mysql_query", "iceberg_scan", "delta_scan", "st_read", "query", "query_table",
    "load_extension", "readfile", "writefile", "edit", "fts_main", "getenv", "duckdb_secrets",
    "duckdb_settings", "duckdb_extensions", "pg_read_file", "pg_ls_dir", "lo_import", "lo_export",
    "dblink", "system", "shell",
})


class UnsafeSQLError(WorkbenchError, ValueError):
    """Generated SQL was refused by the guard; ``reason`` says why, ``sql`` holds the input."""

    def __init__(self, sql: str, reason: str, fix: str = "Only one read-only SELECT query may run.") -> None:
        shown = sql if len(sql) <= 300 else sql[:300] + "..."
        super().__init__(f"Refused SQL: {reason}. {fix} SQL: {shown!r}")
        self.sql = sql
        self.reason = reason


class SQLSyntaxError(WorkbenchError, ValueError):
    """Generated SQL does not parse in the target dialect; ``sql`` holds the input."""

    def __init__(self, sql: str, dialect: str, detail: str) -> None:
        super().__init__(f"SQL does not parse as {dialect}: {detail}. SQL: {sql[:300]!r}")
        self.sql = sql
        self.dialect = dialect
        self.detail = detail


def check_sql(sql: str, dialect: str, tables: Iterable[str] | None = None) -> exp.Query:
    """Return the parsed query if ``sql`` is one read-only query; raise ``UnsafeSQLError`` otherwise.

    Args:
        sql: The SQL text to check.
        dialect: sqlglot dialect name (``duckdb``, ``sqlite``, ``postgres`` ...).
        tables: The database's table names; when given, every table the query
            reads must be one of them (or a CTE the query defines).
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    if not sql or not sql.strip():
        raise UnsafeSQLError(sql, "the SQL is empty")
    if len(sql) > MAX_SQL_CHARS:
        raise UnsafeSQLError(sql, f"the SQL is longer than {MAX_SQL_CHARS} characters")
    if "\x00" in sql:
        raise UnsafeSQLError(sql, "the SQL contains a NUL character")
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (ParseError, TokenError) as exc:
        raise SQLSyntaxError(sql, dialect, str(exc).splitlines()[0]) from exc
    if len(statements) != 1:
        raise UnsafeSQLError(sql, f"expected exactly one statement, found {len(statements)}")
    tree = statements[0]
    forbidden = tuple(getattr(exp, name) for name in _FORBIDDEN_NODES if hasattr(exp, name))
    for node in tree.walk():
        if isinstance(node, forbidden):
            raise UnsafeSQLError(sql, f"{type(node).__name__.upper()} is not allowed")
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name in FORBIDDEN_FUNCTIONS:
                raise UnsafeSQLError(sql, f"function {name}() reads or writes outside the database")
    if not isinstance(tree, exp.Query):
        raise UnsafeSQLError(sql, f"{type(tree).__name__.upper()} is not a query")
    if tables is not None:
        known = {t.lower() for t in tables}
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if not isinstance(table.this, exp.Identifier):
                raise UnsafeSQLError(sql, f"table source {table.this.sql()} is not a table of this database")
            name = table.name.lower()
            if table.db or table.catalog:
                raise UnsafeSQLError(sql, f"qualified table {table.sql()} is outside this database")
            if name not in known and name not in ctes:
                listed = ", ".join(sorted(known))
                raise UnsafeSQLError(sql, f"table {table.name!r} does not exist", f"Use only these tables: {listed}.")
    return tree
