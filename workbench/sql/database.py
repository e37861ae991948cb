"""Read-only database access: open, introspect, render the schema, run guarded SQL.

* ``Database.open("shop.duckdb")`` / ``Database.open("shop.sqlite")``: a file,
  opened read-only (DuckDB also with external access disabled).
* ``Database.open("postgresql://user@host/db")``: any SQLAlchemy URL. Every
  query runs in a transaction that is rolled back; on PostgreSQL it is also
  ``READ ONLY`` with a ``statement_timeout``, on MySQL ``READ ONLY``.
* ``Database.from_frames({"sales": df})``: an in-memory DuckDB built from
  DataFrames, with external access switched off once the data is loaded.

Whatever the kind, every query passes the statement guard first, and a row
limit and a timeout apply (on other SQLAlchemy databases than PostgreSQL the
timeout is not enforced by the server).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import InputError, MissingInputError, WorkbenchError
from workbench.sql.guard import check_sql

if TYPE_CHECKING:
    import pandas as pd

_SQLITE_SUFFIXES = {".sqlite", ".sqlite3", ".db3"}
_DUCKDB_SUFFIXES = {".duckdb", ".ddb", ".db"}


class QueryError(WorkbenchError, RuntimeError):
    """A guarded query failed while running (error or timeout); ``sql`` holds the input."""

    def __init__(self, sql: str, detail: str, *, timed_out: bool = False) -> None:
        super().__init__(f"Query failed: {detail}. SQL: {sql[:300]!r}")
        self.sql = sql
        self.detail = detail
        self.timed_out = timed_out


@dataclass(frozen=True)
class Column:
    """One column: name, declared type, and whether it is part of the primary key."""

    name: str
    type: str
    primary_key: bool = False


@dataclass(frozen=True)
class Table:
    """One table with its columns and foreign keys ``(column, other_table, other_column)``."""

    name: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()


@dataclass
class QueryResult:
    """Rows of a query as a DataFrame (and as the database's raw tuples), whether the row limit cut them,
    and how long it took."""

    sql: str
    frame: pd.DataFrame
    truncated: bool
    seconds: float
    rows: list[tuple[Any, ...]] = field(default_factory=list, repr=False)

    def _repr_html_(self) -> str:
        note = " (truncated at the row limit)" if self.truncated else ""
        return f"<pre>{self.sql}</pre><p>{len(self.frame)} rows{note}, {self.seconds:.3f} s</p>" + self.frame.to_html(
            max_rows=20
        )


@dataclass
class Database:
    """A read-only SQL database: a DuckDB or SQLite file, a SQLAlchemy URL, or in-memory DuckDB.

    Attributes:
        path: The database file (None for URLs and in-memory databases).
        dialect: sqlglot dialect (``duckdb``, ``sqlite``, ``postgres`` ...); flows into prompts and the guard.
        url: The SQLAlchemy URL, when opened from one.
    """

    path: Path | None
    dialect: str
    url: str = ""
    _memory: Any = field(default=None, repr=False)
    _engine_obj: Any = field(default=None, repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @classmethod
    def open(cls, target: str | Path) -> Database:
        """Open a DuckDB/SQLite file (by suffix or header) or a SQLAlchemy URL (``scheme://...``), read-only."""
        if isinstance(target, str) and "://" in target:
            return cls._from_url(target)
        path = Path(target).expanduser()
        if not path.is_file():
            raise MissingInputError(f"Database file {path} does not exist. Give the path of a .duckdb or .sqlite file.")
        with path.open("rb") as handle:
            header = handle.read(16)
        if header.startswith(b"SQLite format 3") or path.suffix.lower() in _SQLITE_SUFFIXES:
            return cls(path, "sqlite")
        if path.suffix.lower() in _DUCKDB_SUFFIXES or b"DUCK" in header + _read_at(path, 8, 8):
            return cls(path, "duckdb")
        raise InputError(f"{path}: unknown database type; expected a DuckDB (.duckdb) or SQLite (.sqlite) file.")

    @classmethod
    def from_frames(cls, frames: dict[str, Any]) -> Database:
        """An in-memory DuckDB database with one table per DataFrame; file access is off once loaded."""
        import duckdb

        con = duckdb.connect(":memory:", config={"autoload_known_extensions": False,
                                                 "autoinstall_known_extensions": False})
        for name, frame in frames.items():
            con.register("_frame", frame)
            con.execute(f"CREATE TABLE {_quote_always(name)} AS SELECT * FROM _frame")
            con.unregister("_frame")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        return cls(None, "duckdb", _memory=con)

    @classmethod
    def _from_url(cls, url: str) -> Database:
        try:
            from sqlalchemy import create_engine
            from sqlalchemy.exc import ArgumentError, NoSuchModuleError
        except ImportError:  # pragma: no cover - sqlalchemy ships with mlflow
            raise InputError(f"Opening {url!r} needs SQLAlchemy: pip install sqlalchemy") from None
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise InputError(f"Cannot open {url!r}: {exc}. Install the database's SQLAlchemy driver "
                             "(e.g. psycopg for postgresql://).") from exc
        name = engine.dialect.name
        dialect = {"postgresql": "postgres", "mariadb": "mysql", "mssql": "tsql"}.get(name, name)
        return cls(None, dialect, url=url, _engine_obj=engine)

    def __repr__(self) -> str:
        where = str(self.path) if self.path else (_hide_password(self.url) if self.url else ":memory:")
        return f"Database({where!r}, dialect={self.dialect!r}, tables={[t.name for t in self.tables]})"

    # -- introspection -------------------------------------------------------------------------

    @cached_property
    def tables(self) -> tuple[Table, ...]:
        """Tables with columns, primary and foreign keys (introspected once, then cached)."""
        if self.url:
            return self._introspect_sqlalchemy()
        return self._introspect_sqlite() if self.dialect == "sqlite" else self._introspect_duckdb()

    @cached_property
    def fingerprint(self) -> str:
        """A short digest of the schema, for cache keys and run metadata."""
        text = "\n".join(f"{t.name}:" + ",".join(f"{c.name} {c.type}" for c in t.columns) for t in self.tables)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def schema_text(self, sample_values: int = 0, tables: Iterable[str] | None = None) -> str:
        """The schema as compact ``CREATE TABLE`` statements, for prompts.

        With ``sample_values`` > 0, each column carries up to that many distinct
        example values in a trailing comment (e.g. ``-- e.g. 'France', 'Spain'``).
        ``tables`` limits the text to those tables (in schema order).
        """
        samples = self.samples(sample_values) if sample_values else {}
        wanted = None if tables is None else {t.lower() for t in tables}
        blocks = []
        for table in self.tables:
            if wanted is not None and table.name.lower() not in wanted:
                continue
            keys = [c.name for c in table.columns if c.primary_key]
            inline = len(keys) == 1
            lines = []
            for c in table.columns:
                line = f"  {_quote(c.name)} {c.type or 'TEXT'}{' PRIMARY KEY' if c.primary_key and inline else ''}"
                lines.append((line, samples.get((table.name, c.name))))
            if len(keys) > 1:
                lines.append((f"  PRIMARY KEY ({', '.join(_quote(k) for k in keys)})", None))
            lines += [(f"  FOREIGN KEY ({_quote(col)}) REFERENCES {_quote(ot)}({_quote(oc)})", None)
                      for col, ot, oc in table.foreign_keys]
            body = []
            for i, (line, values) in enumerate(lines):
                comma = "," if i < len(lines) - 1 else ""
                body.append(line + comma + (f" -- e.g. {_render_values(values)}" if values else ""))
            blocks.append(f"CREATE TABLE {_quote(table.name)} (\n" + "\n".join(body) + "\n);")
        return "\n".join(blocks)

    def samples(self, k: int) -> dict[tuple[str, str], list[Any]]:
        """Up to ``k`` distinct non-null values of every column, keyed by ``(table, column)`` (cached per ``k``)."""
        cache = self.__dict__.setdefault("_samples", {})
        if k not in cache:
            found: dict[tuple[str, str], list[Any]] = {}
            for table in self.tables:
                for column in table.columns:
                    sql = (f"SELECT DISTINCT {_quote_always(column.name)} FROM {_quote_always(table.name)} "
                           f"WHERE {_quote_always(column.name)} IS NOT NULL LIMIT {int(k)}")
                    try:
                        found[(table.name, column.name)] = [r[0] for r in self._raw(sql)]
                    except Exception:  # an unreadable column just has no examples
                        found[(table.name, column.name)] = []
            cache[k] = found
        return cache[k]

    def _raw(self, sql: str) -> list[Any]:
        """Run trusted introspection SQL (never model output) on the read-only connection."""
        if self.url:
            return self._run_sqlalchemy(sql, 1_000_000, 30.0)[1]
        if self.dialect == "sqlite":
            with contextlib.closing(self._sqlite()) as con:
                return con.execute(sql).fetchall()
        cursor = self._duckdb().cursor()
        try:
            return cursor.execute(sql).fetchall()
        finally:
            cursor.close()

    def _introspect_sqlite(self) -> tuple[Table, ...]:
        with contextlib.closing(self._sqlite()) as con:
            names = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
            tables = []
            for name in names:
                cols = con.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
                fks = con.execute(f"PRAGMA foreign_key_list({_quote(name)})").fetchall()
                tables.append(Table(
                    name,
                    tuple(Column(c[1], c[2] or "", bool(c[5])) for c in cols),
                    tuple((f[3], f[2], f[4] or f[3]) for f in fks),
                ))
        return tuple(tables)

    def _introspect_sqlalchemy(self) -> tuple[Table, ...]:
        from sqlalchemy import inspect

        inspector = inspect(self._engine())
        tables = []
        for name in inspector.get_table_names():
            keys = set(inspector.get_pk_constraint(name).get("constrained_columns") or [])
            columns = tuple(Column(c["name"], str(c["type"]), c["name"] in keys) for c in inspector.get_columns(name))
            fks = tuple((col, fk["referred_table"], ref) for fk in inspector.get_foreign_keys(name)
                        for col, ref in zip(fk["constrained_columns"], fk["referred_columns"], strict=False))
            tables.append(Table(name, columns, fks))
        return tuple(tables)

    def _introspect_duckdb(self) -> tuple[Table, ...]:
        con = self._duckdb()
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
        keys = con.execute(
            "SELECT table_name, constraint_type, constraint_column_names, referenced_table, "
            "referenced_column_names FROM duckdb_constraints() WHERE schema_name = 'main'").fetchall()
        pks: dict[str, set[str]] = {}
        fks: dict[str, list[tuple[str, str, str]]] = {}
        for table, kind, cols, ref_table, ref_cols in keys:
            if kind == "PRIMARY KEY":
                pks.setdefault(table, set()).update(cols)
            elif kind == "FOREIGN KEY":
                fks.setdefault(table, []).extend(zip(cols, [ref_table] * len(cols), ref_cols, strict=False))
        grouped: dict[str, list[Column]] = {}
        for table, column, kind in rows:
            grouped.setdefault(table, []).append(Column(column, kind, column in pks.get(table, set())))
        return tuple(Table(t, tuple(cols), tuple(fks.get(t, ()))) for t, cols in grouped.items())

    # -- execution ----------------------------------------------------------------------------

    def execute(self, sql: str, *, row_limit: int | None = None, timeout_s: float | None = None) -> QueryResult:
        """Check ``sql`` with the guard, run it read-only, and return at most ``row_limit`` rows as a DataFrame.

        Raises ``UnsafeSQLError``/``SQLSyntaxError`` from the guard, and
        ``QueryError`` when the database fails or ``timeout_s`` passes.
        """
        import pandas as pd

        started = time.perf_counter()
        columns, rows, truncated = self.fetch(sql, row_limit=row_limit, timeout_s=timeout_s)
        frame = pd.DataFrame(rows, columns=_unique(columns))
        return QueryResult(sql, frame, truncated, time.perf_counter() - started, rows)

    def fetch(self, sql: str, *, row_limit: int | None = None,
              timeout_s: float | None = None) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        """Like ``execute`` but returns ``(columns, rows, truncated)`` with the database's own values."""
        from workbench.config import get_settings

        settings = get_settings()
        row_limit = row_limit or settings.sql_row_limit
        timeout_s = timeout_s or settings.sql_timeout_s
        check_sql(sql, self.dialect, tables=[t.name for t in self.tables])
        if self.url:
            columns, rows = self._run_sqlalchemy(sql, row_limit, timeout_s)
        elif self.dialect == "sqlite":
            columns, rows = self._run_sqlite(sql, row_limit, timeout_s)
        else:
            columns, rows = self._run_duckdb(sql, row_limit, timeout_s)
        return columns, [tuple(r) for r in rows[:row_limit]], len(rows) > row_limit

    def _run_sqlalchemy(self, sql: str, row_limit: int, timeout_s: float) -> tuple[list[str], list[Any]]:
        from sqlalchemy.exc import DBAPIError

        with self._engine().connect() as con:
            transaction = con.begin()
            try:
                if self.dialect == "postgres":
                    con.exec_driver_sql("SET TRANSACTION READ ONLY")
                    con.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
                elif self.dialect == "mysql":
                    con.exec_driver_sql("SET TRANSACTION READ ONLY")
                result = con.exec_driver_sql(sql)
                return list(result.keys()), result.fetchmany(row_limit + 1)
            except DBAPIError as exc:
                detail = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
                raise QueryError(sql, detail, timed_out="timeout" in detail.lower()) from exc
            finally:
                transaction.rollback()

    def _run_sqlite(self, sql: str, row_limit: int, timeout_s: float) -> tuple[list[str], list[Any]]:
        deadline = time.monotonic() + timeout_s
        with contextlib.closing(self._sqlite()) as con:
            con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            try:
                cursor = con.execute(sql)
                rows = cursor.fetchmany(row_limit + 1)
            except sqlite3.Error as exc:
                timed_out = time.monotonic() > deadline
                detail = f"timed out after {timeout_s} s" if timed_out else str(exc)
                raise QueryError(sql, detail, timed_out=timed_out) from exc
            return [d[0] for d in cursor.description or ()], rows

    def _run_duckdb(self, sql: str, row_limit: int, timeout_s: float) -> tuple[list[str], list[Any]]:
        import duckdb

        cursor = self._duckdb().cursor()
        timer = threading.Timer(timeout_s, cursor.interrupt)
        timer.start()
        try:
            cursor.execute(sql)
            rows = cursor.fetchmany(row_limit + 1)
            return [d[0] for d in cursor.description or ()], rows
        except duckdb.InterruptException as exc:
            raise QueryError(sql, f"timed out after {timeout_s} s", timed_out=True) from exc
        except duckdb.Error as exc:
            raise QueryError(sql, str(exc).splitlines()[0]) from exc
        finally:
            timer.cancel()
            cursor.close()

    def _sqlite(self) -> sqlite3.Connection:
        assert self.path is not None
        con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        con.text_factory = lambda b: b.decode(errors="ignore")
        return con

    def _engine(self) -> Any:
        return self._engine_obj

    def _duckdb(self) -> Any:
        if self._memory is not None:
            return self._memory
        con = getattr(self._local, "duckdb", None)
        if con is None:
            import duckdb

            con = duckdb.connect(
                str(self.path), read_only=True,
                config={"enable_external_access": False, "autoload_known_extensions": False,
                        "autoinstall_known_extensions": False, "lock_configuration": True},
            )
            self._local.duckdb = con
        return con


_RESERVED = frozenset({"order", "group", "select", "from", "where", "table", "index", "key", "limit", "by", "join",
                       "union", "case", "when", "end", "as", "on", "to", "in", "is", "not", "and", "or", "values"})


def _quote(name: str) -> str:
    return name if name.isidentifier() and name.lower() not in _RESERVED else '"' + name.replace('"', '""') + '"'


def _quote_always(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _render_values(values: list[Any]) -> str:
    shown = []
    for v in values:
        if isinstance(v, str):
            text = v if len(v) <= 40 else v[:37] + "..."
            shown.append("'" + text.replace("\n", " ") + "'")
        elif isinstance(v, bytes):
            continue
        else:
            shown.append(str(v))
    return ", ".join(shown)


def _unique(columns: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for col in columns:
        seen[col] = seen.get(col, 0) + 1
        out.append(col if seen[col] == 1 else f"{col}_{seen[col]}")
    return out


def _hide_password(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _read_at(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(size)
