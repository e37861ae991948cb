"""Faithfulness: a final answer may state only what the evidence holds, and must not drop rows of a short result.

The checks a supervisor relies on to catch a small LM's invented numbers, dropped rows and made-up names, and
the templated answer it falls back to, which must always pass them.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

import pytest

from workbench.supervisor.faithfulness import (
    Faithfulness,
    Table,
    check_answer,
    format_number,
    table_from_record,
    template_answer,
)

QUESTION = "Which five countries had the highest life expectancy in 2007?"
LIFE = Table(("country", "life_expectancy"),
             (("Japan", 82.603), ("Hong Kong, China", 82.208), ("Iceland", 81.757),
              ("Switzerland", 81.70100000000002), ("Australia", 81.235)), 5)
EVIDENCE = """## data_analysis: top five countries by life expectancy in 2007
SQL: SELECT country, life_expectancy FROM country_stats WHERE year = 2007 ORDER BY life_expectancy DESC LIMIT 5
Result:
         country  life_expectancy
           Japan           82.603
Hong Kong, China           82.208
         Iceland           81.757
     Switzerland           81.701
       Australia           81.235"""

COUNT_QUESTION = "How many singers do we have?"
COUNT = Table(("count(*)",), ((6,),), 1)
COUNT_EVIDENCE = "SQL: SELECT count(*) FROM singer\nResult:\n count_star()\n            6"

PASSAGES = """Confidence 0.87
[1] Marie Curie (doc wiki-12)
Marie Curie was a Polish and naturalised-French physicist and chemist who conducted pioneering research on
radioactivity. She won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1911.
[2] Pierre Curie (doc wiki-13)
Pierre Curie shared the 1903 prize with his wife and Henri Becquerel."""


def check(answer: str) -> Faithfulness:
    return check_answer(answer, EVIDENCE, QUESTION, tables=[LIFE])


# --- the life-expectancy case ----------------------------------------------------------------------------------


def test_a_draft_that_drops_a_row_is_faithful_but_incomplete():
    result = check("The five countries with the highest life expectancy in 2007 were Japan, Hong Kong, China, "
                   "Iceland, and Switzerland.")
    assert result.faithful and not result.complete and not result.ok
    assert result.missing == ("Australia",)
    assert result.checked >= 6  # 2007 and five names were looked up


def test_an_invented_average_is_unsupported():
    result = check("Japan, Hong Kong, China, Iceland, Switzerland and Australia lead, with an average of 81.9 years.")
    assert result.unsupported == ("81.9",) and result.complete and not result.ok


def test_every_row_with_its_value_rounded_as_written_is_ok():
    result = check("Japan (82.6), Hong Kong, China (82.2), Iceland (81.8), Switzerland (81.7) and Australia (81.2)")
    assert result.ok, result
    assert result.feedback() == ""


def test_a_country_in_no_evidence_is_unsupported_and_named_alone():
    result = check("Brazil and Japan lead, followed by Hong Kong, China, Iceland, Switzerland and Australia.")
    assert result.unsupported == ("Brazil",) and result.complete


def test_feedback_names_the_unsupported_number_and_entity_and_the_missing_row():
    result = check("Japan (82.6), Brazil (81.2), Hong Kong, China, Iceland and Switzerland average 81.9.")
    assert set(result.unsupported) == {"81.9", "Brazil"} and result.missing == ("Australia",)
    feedback = result.feedback()
    assert "81.9" in feedback and "Brazil" in feedback and "not in the evidence" in feedback
    assert "leaves out Australia" in feedback
    assert "Brazil" in str(result) and "Australia" in str(result) and "Faithfulness(" in repr(result)


def test_a_single_problem_reads_as_one_sentence():
    assert Faithfulness(("81.9",), (), 3).feedback() == "The answer states 81.9, which is not in the evidence."
    assert Faithfulness((), ("Iceland", "Australia"), 3).feedback() == (
        "The answer leaves out Iceland and Australia, which the result rows include.")
    assert Faithfulness(checked=4).ok and str(Faithfulness(checked=4)) == "faithful and complete (4 checked)"


# --- numbers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "supported"), [
    ("82.6", True), ("82.60", True), ("83", True), ("82.21", True), ("82.208", True), ("81.24", True),
    ("82.7", False), ("82.3", False), ("82.61", False), ("84", False), ("-82.6", True),
    ("about 80", True), ("nearly 100", False),  # an approximation is read at its own precision, within 5%
])
def test_a_number_is_supported_when_evidence_rounds_to_it_at_the_written_precision(written, supported):
    result = check_answer(f"Japan: {written} years.", "Japan 82.603, Hong Kong 82.208, Australia 81.235")
    assert result.faithful is supported, result


@pytest.mark.parametrize(("answer", "supported"), [
    ("The population is 1,234,567.", True),
    ("The population is 1234567.", True),
    ("The population is about 1.2 million.", True),
    ("The population is 1.23M.", True),
    ("The population is 1,235 thousand.", True),
    ("The population is 1.3 million.", False),
    ("The population is 1,234,568.", False),
    ("The population is roughly 1,200,000.", True),  # an approximation is read at its own precision
    ("The population is 1,200,000.", False),
])
def test_thousands_separators_and_scale_words(answer, supported):
    table = Table(("city", "population"), (("Springfield", 1234567),), 1)
    result = check_answer(answer, "", "What is the population of Springfield?", tables=[table])
    assert result.faithful is supported, result


def test_percentages_match_fractions_and_percent_values():
    share = Table(("party", "share"), (("Greens", 0.12), ("Liberals", 35.4)), 2)
    assert check_answer("Greens won 12% and Liberals 35.4%.", "", tables=[share]).ok
    assert check_answer("Greens won 12 percent.", "Greens share 0.1234").faithful
    assert check_answer("Greens won 12.3%.", "Greens share 0.1234").faithful
    assert check_answer("Greens won 13%.", "Greens share 0.1234").unsupported == ("13%",)


def test_row_counts_question_numbers_list_markers_and_ranks_need_no_evidence():
    answer = ("These 5 countries led in 2007:\n1. Japan (82.6)\n2. Hong Kong, China (82.21)\n3. Iceland (81.76)\n"
              "4. Switzerland (81.7)\n5. Australia (81.24), which ranks 5th.")
    result = check_answer(answer, "", QUESTION, tables=[LIFE])
    assert result.ok, result
    assert check_answer("The top 3 were Japan, Iceland and Australia.", EVIDENCE, "Name the top 3.").faithful
    assert check_answer("Japan was first in 2006.", EVIDENCE, QUESTION).unsupported == ("2006",)


def test_numbers_written_as_words_are_not_checked():
    assert check_answer("Five countries, led by Japan with eighty-three years.", EVIDENCE).ok


# --- named things ------------------------------------------------------------------------------------------------


def test_a_name_from_a_retrieved_passage_is_supported_and_an_invented_one_is_not():
    question = "What prizes did Marie Curie win?"
    ok = check_answer("Marie Curie won the Nobel Prize in Physics in 1903 [1] and in Chemistry in 1911 [1]; "
                      "the Polish physicist shared the first with Pierre Curie and Henri Becquerel [2].",
                      PASSAGES, question)
    assert ok.ok, ok
    bad = check_answer("Marie Curie won the Nobel Prize in Physics in 1903 together with Albert Einstein [1].",
                       PASSAGES, question)
    assert bad.unsupported == ("Albert Einstein",)


def test_names_match_case_accents_table_cells_and_every_word():
    table = Table(("country",), (("Côte d'Ivoire",), ("Hong Kong, China",)), 2)
    assert check_answer("COTE D'IVOIRE and Hong Kong are listed.", "", tables=[table]).faithful
    assert check_answer("Japanese and Australian women live longest.", EVIDENCE).faithful  # Japan, Australia
    assert check_answer("New Zealand follows.", EVIDENCE).unsupported == ("New Zealand",)


def test_common_capitalised_words_are_not_names():
    answer = ("Based on the SQL result, Japan leads. According to the evidence, Iceland follows. Overall, "
              "Australia is fifth. Interestingly, Switzerland is fourth. Countries like Hong Kong, China rank "
              "second. The Answer: In 2007, Japan.")
    result = check_answer(answer, EVIDENCE, QUESTION, tables=[LIFE])
    assert result.ok, result


def test_quoted_strings_are_checked_as_a_whole():
    evidence = "[1] Returns Policy (doc a)\nReturns within 30 days."
    assert check_answer('The "Returns Policy" allows returns within 30 days [1].', evidence).ok
    assert check_answer('See the "refund guarantee" [1].', evidence).unsupported == ("refund guarantee",)


def test_text_in_backticks_code_fences_and_after_sql_is_ignored():
    answer = ("The query `SELECT Brazil FROM t LIMIT 99` returned Japan (82.6).\n"
              "```sql\nSELECT Peru, 12345 FROM Chile\n```\nSQL: SELECT Argentina LIMIT 77")
    result = check_answer(answer, EVIDENCE, "Which country had the highest life expectancy in 2007?", tables=[LIFE])
    assert result.ok, result


# --- completeness ------------------------------------------------------------------------------------------------


def test_a_count_is_complete_only_when_the_answer_states_it():
    assert check_answer("There are 6 singers.", COUNT_EVIDENCE, COUNT_QUESTION, tables=[COUNT]).ok
    assert check_answer("There are six singers.", COUNT_EVIDENCE, COUNT_QUESTION, tables=[COUNT]).ok
    wrong = check_answer("There are 7 singers.", COUNT_EVIDENCE, COUNT_QUESTION, tables=[COUNT])
    assert wrong.unsupported == ("7",) and wrong.missing == ("6",)
    assert "7" in wrong.feedback() and "6" in wrong.feedback()


def test_completeness_applies_only_to_short_whole_lists():
    answer = "Japan had the highest life expectancy in 2007 (82.6)."
    # a question for one thing is answered by the top row alone
    assert check_answer(answer, EVIDENCE, "Which country had the highest life expectancy in 2007?",
                        tables=[LIFE]).ok
    # a list question is not, and neither is one naming how many ("five countries", "top 5", "each")
    for question in (QUESTION, "List the countries with the highest life expectancy in 2007.",
                     "What are the top 5 countries by life expectancy?",
                     "Which countries had the highest life expectancy in 2007?"):
        assert len(check_answer(answer, EVIDENCE, question, tables=[LIFE]).missing) == 4, question
    # a result cut short, or longer than ten rows, cannot be listed whole
    cut = Table(LIFE.columns, LIFE.rows, 40)
    assert check_answer(answer, EVIDENCE, QUESTION, tables=[cut]).complete
    # a single-row result must name its row; a result with no text column has no labels to require
    top = Table(LIFE.columns, LIFE.rows[:1], 1)
    assert check_answer("Iceland.", EVIDENCE, "Which country is highest?", tables=[top]).missing == ("Japan",)
    numbers = Table(("year", "orders"), ((2006, 10), (2007, 12)), 2)
    assert check_answer("Orders rose from 10 to 12.", "", "Orders per year?", tables=[numbers]).complete


def test_a_label_may_be_given_by_its_head_before_a_comma():
    answer = "Japan (82.6), Hong Kong (82.2), Iceland (81.8), Switzerland (81.7) and Australia (81.2)."
    assert check(answer).ok


# --- the templated answer ------------------------------------------------------------------------------------------


def test_template_for_the_life_expectancy_table():
    text = template_answer(QUESTION, LIFE)
    assert text == "Japan (82.6); Hong Kong, China (82.21); Iceland (81.76); Switzerland (81.7); Australia (81.24)."
    assert check_answer(text, EVIDENCE, QUESTION, tables=[LIFE]).ok


def test_template_shapes():
    assert template_answer("q", Table(("country",), (), 0)) == "The query returned no rows."
    assert template_answer(COUNT_QUESTION, COUNT) == "Count: 6."
    assert template_answer("q", Table(("avg(age)",), ((34.5,),), 1)) == "Average age: 34.5."
    assert template_answer("q", Table(("country", "life_expectancy"), (("Japan", 82.603),), 1)) == (
        "Country: Japan, Life expectancy: 82.6.")
    assert template_answer("q", Table(("name", "country"), (("Joe", "France"), ("Ann", "Peru")), 2)) == (
        "Joe (France), Ann (Peru).")
    assert template_answer("q", Table(("name",), (("Joe",), ("Ann",), (None,)), 3)) == "Joe, Ann, none."
    assert template_answer("q", Table(("continent", "countries", "avg_gdp"),
                                      (("Africa", 52, 1234.5), ("Asia", 33, None)), 2)) == (
        "Africa (countries: 52, avg gdp: 1,234.5), Asia (countries: 33, avg gdp: none).")
    assert template_answer("q", Table(("year", "orders"), ((2006, 1200), (2007, 1500)), 2)) == (
        "year: 2,006, orders: 1,200; year: 2,007, orders: 1,500.")


def test_template_of_a_long_result_lists_ten_rows_and_the_total():
    table = Table(("city", "population"), tuple((f"City {i}", 1000 * i) for i in range(1, 16)), 25)
    text = template_answer("Which cities are largest?", table)
    assert text.startswith("City 1 (1,000), City 2 (2,000)") and "City 10 (10,000)" in text
    assert "City 11" not in text and text.endswith(" … (25 rows in all)")
    assert check_answer(text, "", "Which cities are largest?", tables=[table]).ok


LABELS = ["Japan", "Hong Kong, China", "Côte d'Ivoire", "the Netherlands", "O'Brien & Sons", "Route 66",
          "5th Avenue", 'The "Best" Shop', "AT&T Inc.", "São Paulo", "New York City", "Bosnia and Herzegovina",
          "x", "UNKNOWN", "Q3 2024", "2007-01-15", "Trinidad and Tobago", "Korea, Rep.", "back`tick", "None"]
VALUES = [0, 1, -5, 6, 1234567, 82.603, 81.235, 81.70100000000002, 0.00012, -0.5, 1e12, 2.5e-7, 99.995, None,
          Decimal("82.605"), Decimal("7.00"), True, 0.125, 3.0, 12_345.678]


def random_table(rng: random.Random) -> Table:
    n_columns = rng.randint(1, 4)
    has_label = rng.random() < 0.8
    columns = [rng.choice(["country", "name", "T1.city"])] if has_label else []
    columns += [rng.choice(["count(*)", "avg(age)", "max(T1.salary)", "life_expectancy", "GDP", "share", "n"])
                for _ in range(n_columns - len(columns))]
    n_rows = rng.choice([0, 1, 1, 2, 3, 5, 10, 12])
    rows = []
    for _ in range(n_rows):
        row: list[object] = [rng.choice(LABELS)] if has_label else []
        row += [rng.choice(VALUES) for _ in range(len(columns) - len(row))]
        rows.append(tuple(row))
    total = n_rows + rng.choice([0, 0, 0, 7]) if n_rows else 0
    return Table(tuple(columns), tuple(rows), total)


def test_a_templated_answer_always_passes_the_check():
    rng = random.Random(2007)
    questions = [QUESTION, COUNT_QUESTION, "List every city.", "Which country is highest?", ""]
    for _ in range(300):
        table = random_table(rng)
        question = rng.choice(questions)
        text = template_answer(question, table)
        result = check_answer(text, "", question, tables=[table])
        assert result.ok, (table, text, result)


def test_the_check_is_fast():
    answer = template_answer(QUESTION, LIFE) + " " + "Japan leads Iceland by 0.85 years. " * 50
    start = time.perf_counter()
    for _ in range(20):
        check_answer(answer, EVIDENCE * 5, QUESTION, tables=[LIFE])
    assert (time.perf_counter() - start) / 20 < 0.05


# --- helpers -------------------------------------------------------------------------------------------------------


def test_format_number():
    assert [format_number(v) for v in (1234567, 81.70100000000002, 82.208, 81.235, 0.00012, 2.0, None, True,
                                       Decimal("6.00"), -1234.5, "Japan")] == [
        "1,234,567", "81.7", "82.21", "81.24", "0.00012", "2", "none", "true", "6", "-1,234.5", "Japan"]


def test_table_from_a_record():
    record = {"type": "table", "sql": "SELECT country, life_expectancy FROM t", "summary": "",
              "columns": ["country", "life_expectancy"], "rows": [["Japan", 82.603], ["Iceland", 81.757]],
              "n_rows": 14}
    table = table_from_record(record)
    assert table == Table(("country", "life_expectancy"), (("Japan", 82.603), ("Iceland", 81.757)), 14)
    assert table is not None and table.truncated
    assert table_from_record({"type": "table", "sql": "SELEC", "summary": "", "chart_kind": "table"}) is None
    assert table_from_record({"type": "sources", "confidence": 0.9, "sources": []}) is None
    no_count = table_from_record({"columns": ["n"], "rows": [[1], [2]]})
    assert no_count is not None and no_count.n_rows == 2


def test_citation_markers_are_not_claims():
    report = check_answer("Japan ranks first [1], ahead of Iceland [2, 3] [data_analysis].",
                          "Japan 82.6 Iceland 81.8", "")
    assert report.faithful, report


def test_supported_sentences_keep_what_the_draft_said_about_the_sources():
    from workbench.supervisor.faithfulness import supported_sentences

    table = Table(("country", "life_expectancy"), (("Japan", 82.603), ("Iceland", 81.757)), 2)
    draft = ("Japan and Brazil lead. Healthy life expectancy counts years in good health [1]. "
             "It rose by 7 years.")
    evidence = "[1] Healthy life expectancy: years lived in good health, measured in 2015."
    kept = supported_sentences(draft, evidence, "Which countries live longest?", tables=[table])
    assert kept == ["Healthy life expectancy counts years in good health [1]."]
