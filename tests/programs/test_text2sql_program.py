"""Cleaning model output into one SQL statement."""

from __future__ import annotations

import pytest

from workbench.programs.text2sql import clean_sql


@pytest.mark.parametrize(("raw", "sql"), [
    ("SELECT 1;", "SELECT 1"),
    ("```sql\nSELECT name FROM singer;\n```", "SELECT name FROM singer"),
    ("SELECT x FROM d WHERE n LIKE '%E%' [[ ## completed ## ]]", "SELECT x FROM d WHERE n LIKE '%E%'"),
    ("SELECT a FROM t\n\n[[ ## completed ## ]]", "SELECT a FROM t"),
    ("  ```\nSELECT 2\n```  trailing words", "SELECT 2"),
])
def test_clean_sql(raw, sql):
    assert clean_sql(raw) == sql
