"""Build data/demo.duckdb from the real datasets bundled with plotly (offline, reproducible).

Tables: countries and country_stats (Gapminder), restaurant_tips (tips),
stock_prices (plotly's stocks, long format), iris. Sources and licences: data/README.md.
Run: python scripts/build_demo_db.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import plotly.data as pdata

SCHEMA = """
CREATE TABLE countries (
    country VARCHAR PRIMARY KEY,
    continent VARCHAR NOT NULL,
    iso_alpha VARCHAR,
    iso_num INTEGER
);
CREATE TABLE country_stats (
    country VARCHAR NOT NULL REFERENCES countries(country),
    year INTEGER NOT NULL,
    life_expectancy DOUBLE,
    population BIGINT,
    gdp_per_capita DOUBLE,
    PRIMARY KEY (country, year)
);
CREATE TABLE restaurant_tips (
    total_bill DOUBLE, tip DOUBLE, sex VARCHAR, smoker VARCHAR, day VARCHAR, time VARCHAR, party_size INTEGER
);
CREATE TABLE stock_prices (
    date DATE NOT NULL, ticker VARCHAR NOT NULL, price_index DOUBLE, PRIMARY KEY (date, ticker)
);
CREATE TABLE iris (
    sepal_length DOUBLE, sepal_width DOUBLE, petal_length DOUBLE, petal_width DOUBLE, species VARCHAR
);
"""


def build(out: Path) -> None:
    """Write the demo database to ``out`` (replacing it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    gap = pdata.gapminder()
    countries = gap[["country", "continent", "iso_alpha", "iso_num"]].drop_duplicates("country")
    stats = gap.rename(columns={"lifeExp": "life_expectancy", "pop": "population", "gdpPercap": "gdp_per_capita"})[
        ["country", "year", "life_expectancy", "population", "gdp_per_capita"]]
    tips = pdata.tips().rename(columns={"size": "party_size"})
    stocks = pdata.stocks().melt(id_vars="date", var_name="ticker", value_name="price_index")
    iris = pdata.iris()[["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]]
    con = duckdb.connect(str(tmp))
    try:
        con.execute(SCHEMA)
        for table, frame in [("countries", countries), ("country_stats", stats), ("restaurant_tips", tips),
                             ("stock_prices", stocks), ("iris", iris)]:
            con.register("frame", frame)
            con.execute(f"INSERT INTO {table} SELECT * FROM frame")
            con.unregister("frame")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.replace(out)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "data/demo.duckdb")
    build(target)
    print(f"wrote {target}")
