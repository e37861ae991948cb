"""Reading JSON-lines files: items in order, blank lines skipped, each bad line reported with file:line."""

from __future__ import annotations

import pytest

from workbench.jsonl import read_jsonl

EXPECTED = '{"_id": ..., "text": ...}'


def pairs(path):
    return list(read_jsonl(path, lambda item: (item["_id"], item["text"]), "query", EXPECTED))


def test_each_line_becomes_one_item_in_file_order_and_blank_lines_are_skipped(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"_id": "1", "text": "a"}\n\n   \n{"_id": "2", "text": "b"}\n', encoding="utf-8")
    assert pairs(path) == [("1", "a"), ("2", "b")]


def test_non_ascii_text_is_read_as_utf8(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"_id": "k", "text": "임세영은 무엇을 경영했나?"}\n', encoding="utf-8")
    assert pairs(path) == [("k", "임세영은 무엇을 경영했나?")]


def test_a_missing_file_names_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"query file not found: .*nope\.jsonl"):
        pairs(tmp_path / "nope.jsonl")


def test_a_line_that_is_not_json_is_reported_with_its_line_number(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"_id": "1", "text": "a"}\n\n{"_id": "2", "text": \n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"queries\.jsonl:3: not a query line \(JSONDecodeError") as caught:
        pairs(path)
    assert EXPECTED in str(caught.value) and '{"_id": "2"' in str(caught.value)


@pytest.mark.parametrize(("line", "error"), [('{"_id": "1"}', "KeyError"), ("[1, 2]", "TypeError")])
def test_a_json_line_of_the_wrong_shape_is_reported_with_its_line_number(tmp_path, line, error):
    path = tmp_path / "queries.jsonl"
    path.write_text(f'{{"_id": "0", "text": "ok"}}\n{line}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=rf"queries\.jsonl:2: not a query line \({error}"):
        pairs(path)


def test_items_before_a_bad_line_are_still_delivered(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"_id": "1", "text": "a"}\nnot json\n', encoding="utf-8")
    items = read_jsonl(path, lambda item: item["_id"], "query", EXPECTED)
    assert next(items) == "1"
    with pytest.raises(ValueError, match=":2:"):
        next(items)


def test_a_very_long_bad_line_is_quoted_only_in_part(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text("x" * 10_000 + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        pairs(path)
    assert len(str(caught.value)) < 500


def test_read_json_names_a_missing_file_and_a_malformed_one_with_what_was_expected(tmp_path):
    from workbench.errors import InputError, MissingInputError
    from workbench.jsonl import read_json

    good = tmp_path / "pairs.json"
    good.write_text('[{"input": "hi"}]')
    assert read_json(good, "Pairs", "a list of pairs") == [{"input": "hi"}]
    with pytest.raises(MissingInputError, match=r"Pairs file not found: .*nope\.json; pass a JSON file holding a list"):
        read_json(tmp_path / "nope.json", "Pairs", "a list of pairs")
    good.write_text("[{")
    with pytest.raises(InputError, match=r"pairs\.json is not valid JSON .*expected a list of pairs"):
        read_json(good, "Pairs", "a list of pairs")
