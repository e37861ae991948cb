"""Showing what a ranking ranks by: the ``ORDER BY`` columns a query sorts on but does not select.

"Which five countries had the highest life expectancy?" is often answered
with ``SELECT country ... ORDER BY life_expectancy DESC LIMIT 5``: the right
rows, but an answer written from them cannot quote the figures.
``with_order_columns`` adds the sort expressions to the select list (for
display only: the query's own rows are unchanged), where that is safe: no
``DISTINCT`` (extra columns would change which rows are distinct), no
``SELECT *``, and in a grouped query only aggregates or grouped expressions.
"""

from __future__ import annotations


def with_order_columns(sql: str, dialect: str = "duckdb") -> str | None:
    """``sql`` with its unselected ``ORDER BY`` expressions added to the select list; ``None`` when there is
    nothing to add or adding is not safe (see the module docstring)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except Exception:
        return None
    if not isinstance(tree, exp.Select) or tree.args.get("distinct") or not tree.args.get("order"):
        return None
    selected = tree.expressions
    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
           for e in selected):
        return None
    shown = {e.sql(dialect=dialect).lower() for e in selected} | {e.alias_or_name.lower() for e in selected}
    group_by = tree.args.get("group")
    grouped = {g.sql(dialect=dialect).lower() for g in group_by.expressions} if group_by else set()
    added = []
    for ordered in tree.args["order"].expressions:
        expression = ordered.this
        text = expression.sql(dialect=dialect).lower()
        if text in shown or isinstance(expression, exp.Literal):
            continue
        if isinstance(expression, exp.Column) and expression.name.lower() in shown:
            continue
        if grouped and not expression.find(exp.AggFunc) and text not in grouped:
            continue
        added.append(expression.copy())
        shown.add(text)
    return tree.select(*added, copy=True).sql(dialect=dialect) if added else None
