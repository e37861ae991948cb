"""Is the final answer faithful to the evidence, and complete? A deterministic check and a fallback templater.

The supervisor's answer writer is a small LM. Given SQL results and retrieved
passages it sometimes invents a number ("an average of 81.9"), drops a row of a
five-row result, or names a country that is in no evidence at all. Asking
another LM to judge that is slow and no more reliable, so this module checks
it with rules:

* ``check_answer`` extracts every digit number and every named thing (runs of
  capitalised words, quoted strings) from the answer and looks each up in the
  evidence text, the question and the result tables. A number counts as found
  when some evidence number rounds to it at the precision the answer wrote
  (``82.6`` is found in ``82.603``, ``1.2 million`` in ``1234567``, ``12%`` in
  ``0.12``). For a short result (at most ten rows, all present) it also lists
  the row labels the answer leaves out. The result, ``Faithfulness``, says what
  is wrong in a sentence (``feedback()``) that can go back to the writer.
* ``template_answer`` writes a plain answer from a table's rows alone, for when
  a draft fails the check; its output passes the check by construction.

The check is strict on purpose: a number the writer computed itself (an
average, a difference) is reported as unsupported even when it is right,
because arithmetic is exactly what a small LM gets wrong and the rules cannot
tell the two apart. Numbers written as words are not checked, and names are
matched loosely (every word of ``Hong Kong`` is in ``Hong Kong, China``;
``Japanese`` is read as ``Japan``), so a false alarm is rarer than a miss.

Everything here is pure and deterministic (stdlib only), so it costs
microseconds and gives the same verdict every time.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

__all__ = ["Faithfulness", "Table", "check_answer", "format_number", "table_from_record", "template_answer"]

SHORT_RESULT_ROWS = 10  # results with at most this many rows must be given in full
TEMPLATE_ROWS = 10  # rows a templated answer lists before "… (N rows in all)"


@dataclass(frozen=True)
class Table:
    """The first rows of an SQL result: column names, those rows, and ``n_rows``, the full row count.

    Lists are accepted and stored as tuples; ``n_rows`` defaults to the number of rows given.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    n_rows: int = -1

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(str(c) for c in self.columns))
        object.__setattr__(self, "rows", tuple(tuple(r) for r in self.rows))
        if self.n_rows < 0:
            object.__setattr__(self, "n_rows", len(self.rows))

    @property
    def truncated(self) -> bool:
        """True when the result had more rows than the table holds."""
        return self.n_rows > len(self.rows)


@dataclass(frozen=True)
class Faithfulness:
    """The verdict on an answer.

    ``unsupported``: numbers and named things in the answer found nowhere in the evidence or question (as the
    answer wrote them); ``missing``: row labels (or the single value) of a short result the answer leaves out;
    ``checked``: how many numbers and named things were looked up.
    """

    unsupported: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    checked: int = 0

    @property
    def faithful(self) -> bool:
        """True when everything the answer states is in the evidence."""
        return not self.unsupported

    @property
    def complete(self) -> bool:
        """True when the answer includes every row of each short result."""
        return not self.missing

    @property
    def ok(self) -> bool:
        """Faithful and complete."""
        return self.faithful and self.complete

    def feedback(self) -> str:
        """What is wrong, in one or two sentences for the answer writer (empty when ``ok``)."""
        parts: list[str] = []
        if self.unsupported:
            verb = "is" if len(self.unsupported) == 1 else "are"
            parts.append(f"states {_join_names(self.unsupported)}, which {verb} not in the evidence")
        if self.missing:
            parts.append(f"leaves out {_join_names(self.missing)}, which the result rows include")
        if not parts:
            return ""
        if len(parts) == 1:
            return f"The answer {parts[0]}."
        return f"The answer {parts[0]}; it {parts[1]}."

    def __str__(self) -> str:
        if self.ok:
            return f"faithful and complete ({self.checked} checked)"
        found = []
        if self.unsupported:
            found.append(f"unsupported: {', '.join(self.unsupported)}")
        if self.missing:
            found.append(f"missing: {', '.join(self.missing)}")
        return f"{'; '.join(found)} ({self.checked} checked)"


def _join_names(names: Sequence[str], limit: int = 8) -> str:
    """``a``, ``a and b``, ``a, b and c``; more than ``limit`` end with ``and N more``."""
    shown = list(names[:limit])
    if len(names) > limit:
        shown.append(f"{len(names) - limit} more")
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


# ---------------------------------------------------------------------------------------------------------------
# Numbers

_NUMBER = re.compile(
    r"(?P<neg>(?<![\w.])[-−])?(?<!\d)(?<!\d\.)"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?)(?P<exp>[eE][-+]?\d+\b)?"
    r"(?P<ord>(?:st|nd|rd|th)\b)?"
    r"(?P<pct>\s?(?:%|(?i:percent|per\s?cent)\b))?"
    r"(?P<scale>\s?(?i:thousand|million|billion|trillion)s?\b|(?:k|K|M|B|T|bn|mn|tn)\b)?"
)
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "b": 1e9, "bn": 1e9,
           "trillion": 1e12, "t": 1e12, "tn": 1e12}
_APPROX = re.compile(r"(?i:\b(?:about|approximately|approx\.?|around|roughly|nearly|almost|circa|some|close to)"
                     r"|~)\s*[-−]?$")
_LIST_MARKER = re.compile(r"(?m)^(\s*)\d{1,2}[.)](?=\s)")
_NUMBER_WORDS_TEXT = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                      "sixteen seventeen eighteen nineteen twenty")
_NUMBER_WORDS = _NUMBER_WORDS_TEXT.split()


@dataclass(frozen=True)
class _Number:
    """A number as written (``text``) and the values it may stand for, each with the half-width it was rounded to."""

    text: str
    candidates: tuple[tuple[float, float], ...]
    ordinal: bool


def _numbers(text: str) -> Iterator[_Number]:
    """Every digit number in ``text``: magnitudes (sign dropped), with scale, percent and written precision."""
    for m in _NUMBER.finditer(text):
        digits = m["num"].replace(",", "") + (m["exp"] or "")
        try:
            written = Decimal(digits)
        except InvalidOperation:  # pragma: no cover - the pattern only matches decimal numbers
            continue
        if not written.is_finite():  # pragma: no cover
            continue
        half = 0.5 * 10.0 ** _exponent(written)
        value = float(written)
        if _APPROX.search(text[max(0, m.start() - 20):m.start()]) and _exponent(written) == 0 and written != 0:
            # "about 1,200,000": to its last non-zero digit, but never more than 5% off ("nearly 100" is not 82.6)
            half = max(half, min(0.5 * 10.0 ** _exponent(written.normalize()), 0.05 * value))
        candidates = [(value, half)]
        if m["scale"]:
            key = m["scale"].strip().lower()
            factor = _SCALES.get(key) or _SCALES[key[:-1]]  # "millions" → "million"
            candidates.insert(0, (value * factor, half * factor))
        if m["pct"]:
            candidates.append((value / 100, half / 100))
        yield _Number(m[0].strip(), tuple(candidates), bool(m["ord"]))


def _exponent(number: Decimal) -> int:
    """The power of ten of a finite decimal's last written digit (``82.60`` → -2, ``12E+5`` → 5)."""
    exponent = number.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _as_number(value: object) -> float | None:
    """The magnitude of a numeric cell (int, float, Decimal; not bool), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    return abs(number) if math.isfinite(number) else None


def _is_numeric_text(text: str) -> bool:
    """True when a string is one number (``"82.6"``, ``"1,234"``, ``"-5%"``, ``"$3"``), so not a label."""
    stripped = text.strip().replace(",", "").lstrip("$€£¥+-−").rstrip("%").strip()
    if not stripped:
        return False
    try:
        return Decimal(stripped).is_finite()
    except InvalidOperation:
        return False


class _NumberPool:
    """Evidence numbers, sorted, for "is some evidence number within this half-width of that value?"."""

    def __init__(self, values: Iterable[float]) -> None:
        self.values = sorted(set(values))

    def covers(self, value: float, half: float) -> bool:
        """True when some evidence number rounds to ``value`` at the precision ``half`` stands for."""
        slack = half * (1 + 1e-9) + 1e-12 * max(1.0, value)
        i = bisect_left(self.values, value - slack)
        return i < len(self.values) and self.values[i] <= value + slack


# ---------------------------------------------------------------------------------------------------------------
# Words and named things

_TOKEN = re.compile(r"(?<!\w)[^\W\d_][\w]*(?:['’\-][^\W_]+)*")
_WORD = re.compile(r"[^\W_]+")
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.S)
_SQL_LINE = re.compile(r"\bSQL:[^\n]*")
_QUOTED = re.compile(r"\"([^\"\n]{1,80})\"|“([^”\n]{1,80})”|(?<![\w'’])['‘]([^'’\n]{1,80})['’](?![\w'’])")
_CONNECTORS = frozenset({"of", "and", "de", "the", "da", "del", "der", "di", "du", "la", "le", "van", "von", "y"})
_SENTENCE_END = ".!?:\n"
_STOP_TEXT = """
    A An The This That These Those It Its It's They Their Them There Here He She His Her We Our Us You Your I My Me
    In On At Of For From To By With Without As Among Between Within During After Before Since Until Over Under Above
    Below About Across Through Into Per Via Based According However Also Although Though While Whereas But And Or
    Nor So Yet If When Where Which Who Whom Whose What Why How Because Therefore Thus Hence Furthermore Moreover
    Additionally Finally First Second Third Fourth Fifth Next Then Last Lastly Overall Both Each Every All Any Some
    Many Most More Less Several Few Other Others Another Such No Not None Yes Only Just Even Still Please Note Notes
    Source Sources Evidence Answer Answers Result Results Question Query Queries Data Dataset Database Table Tables
    Row Rows Column Columns Record Records Value Values Studies Study Research Summary Conclusion Confidence Is Are
    Was Were Be Been Being Has Have Had Do Does Did Can Could Would Should Might Must Shall Let Let's Sorry
    Unfortunately Together Meanwhile Instead Otherwise Likewise Similarly Specifically Notably Generally Currently
    Interestingly Importantly Ultimately Clearly Count Total Average Mean Median Sum Number Maximum Minimum See
    Listed Ranked Shown Given Using Looking Considering Comparing Following Top Bottom OK Okay Mr Mrs Ms Dr Prof
    Nearly Roughly Approximately Almost Around Exactly Respectively
    SQL SELECT FROM WHERE LIMIT ORDER BY GROUP HAVING JOIN ON AS DESC ASC AND OR NOT IN IS NULL COUNT AVG SUM MIN MAX
"""
_STOP = frozenset(_STOP_TEXT.split())


def _fold(text: str) -> str:
    """Lowercase, without accents, words split on anything else (``Côte d'Ivoire`` → ``cote d ivoire``)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(_WORD.findall(plain.lower()))


_CITATION = re.compile(r"\[(?:\d+|[A-Za-z_]+)(?:\s*,\s*(?:\d+|[A-Za-z_]+))*\]")


def _strip_code(answer: str) -> str:
    """The answer without code (fences, backticks), citation markers (``[1]``, ``[2, 3]``, ``[data_analysis]``)
    and anything after ``SQL:`` on its line."""
    return _CITATION.sub(" ", _SQL_LINE.sub(",", _CODE.sub(",", answer)))


_DEMONYM_SUFFIXES = ("s", "es", "n", "an", "ian", "ese", "ic", "ish", "i", "er", "ers", "ns")


class _Corpus:
    """The evidence, question and table text, folded, for looking up named things."""

    def __init__(self, texts: Iterable[str]) -> None:
        folded = [_fold(t) for t in texts]
        self.text = " " + " ".join(f for f in folded if f) + " "
        self.words = frozenset(self.text.split())

    def _word(self, word: str) -> bool:
        if word in self.words or word.isdigit():
            return True
        for suffix in _DEMONYM_SUFFIXES:  # Japanese ← Japan, Australian ← Australia, Italian ← Italy, singers
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                stem = word[: -len(suffix)]
                if stem in self.words or any(stem + end in self.words for end in ("a", "y", "e")):
                    return True
        return False

    def supports(self, phrase: str) -> bool:
        """True when the phrase, or every word of it, is in the corpus (case- and accent-insensitive)."""
        folded = _fold(phrase)
        if not folded or f" {folded} " in self.text:
            return True
        return all(self._word(w) for w in folded.split() if w not in _CONNECTORS)


def _sentence_initial(text: str, start: int) -> bool:
    """True when the word at ``start`` begins a sentence, a line or a list item."""
    before = text[:start].rstrip(" \t*#>-•\"'“”‘’([_")
    return not before or before[-1] in _SENTENCE_END


def _spaced(text: str, left: tuple[str, int, int], right: tuple[str, int, int]) -> bool:
    """True when only spaces separate two tokens (no punctuation, no line break)."""
    gap = text[left[2]:right[1]]
    return bool(gap) and not gap.strip(" \t\u00a0")


def _is_capitalised(token: str) -> bool:
    return token[0].isupper()


def _is_stop(token: str) -> bool:
    return token in _STOP or (token.isupper() and len(token) > 2 and token.capitalize() in _STOP)


def _entities(text: str, common: frozenset[str]) -> Iterator[str]:
    """Named things in ``text``: runs of capitalised words (joined by ``of``/``and``/…), minus stop words.

    ``common`` holds words seen in lowercase; a sentence-initial word in it (``Countries with …``) is not a name,
    and neither is a sentence-initial adverb with a comma (``Interestingly,``).
    """
    tokens = [(m[0], m.start(), m.end()) for m in _TOKEN.finditer(text)]
    i = 0
    while i < len(tokens):
        if not _is_capitalised(tokens[i][0]):
            i += 1
            continue
        run = [i]
        j = i + 1
        while j < len(tokens) and _spaced(text, tokens[j - 1], tokens[j]):
            if _is_capitalised(tokens[j][0]):
                run.append(j)
                j += 1
                continue
            # one or two lowercase connectors between capitalised words: "Bank of America", "Republic of the Congo"
            k = j
            while k < len(tokens) and k - j < 2 and tokens[k][0] in _CONNECTORS and (
                    k == j or _spaced(text, tokens[k - 1], tokens[k])):
                k += 1
            if k == j or k >= len(tokens) or not _spaced(text, tokens[k - 1], tokens[k]) \
                    or not _is_capitalised(tokens[k][0]):
                break
            run.extend(range(j, k + 1))
            j = k + 1
        i = j
        words = [tokens[k] for k in run]
        while words and (_is_stop(words[0][0]) or words[0][0] in _CONNECTORS or (
                _sentence_initial(text, words[0][1]) and _common_start(text, words[0], common))):
            words.pop(0)
        while words and (words[-1][0] in _CONNECTORS or _is_stop(words[-1][0])):
            words.pop()
        if words:
            yield text[words[0][1]:words[-1][2]]


def _common_start(text: str, token: tuple[str, int, int], common: frozenset[str]) -> bool:
    """True when a sentence-initial word is an ordinary word: seen in lowercase, or an ``-ly,`` adverb."""
    word, _, end = token
    if word.lower() in common:
        return True
    return (word.lower().endswith("ly") and not word.lower().endswith(("aly", "ily")) and len(word) > 4
            and text[end:end + 1] == ",")


def _possessive(name: str) -> str:
    return re.sub(r"['’]s?$", "", re.sub(r"['’]s\b", "", name))


def _split_and(entity: str) -> list[str]:
    """``Brazil and Japan`` → ``[Brazil, Japan]``, to name only the unsupported part."""
    return [p for p in re.split(r"\s+and\s+", entity) if p]


# ---------------------------------------------------------------------------------------------------------------
# Tables


def _is_text_cell(value: object) -> bool:
    """A cell that can name a row: a string that is not a number, or a date-like object."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return False
    return not (isinstance(value, str) and _is_numeric_text(value))


def _label_column(table: Table) -> int | None:
    """The first column whose cells are all strings or dates (no numbers), with at least one non-numeric string."""
    for c in range(len(table.columns)):
        cells = [row[c] for row in table.rows if c < len(row) and row[c] is not None]
        if cells and all(not isinstance(v, bool | int | float | Decimal) for v in cells) \
                and any(_is_text_cell(v) for v in cells):
            return c
    return None


def _cell(row: tuple[object, ...], c: int) -> object:
    return row[c] if c < len(row) else None


def _table_texts(table: Table) -> Iterator[str]:
    """Every string a table contributes to the evidence: column names (raw and pretty) and cells."""
    for name in table.columns:
        yield name
        yield _pretty_column(name)
    for row in table.rows:
        for value in row:
            yield str(value)
            if not isinstance(value, str):
                yield format_number(value)


def _table_numbers(table: Table) -> Iterator[float]:
    """Every number a table holds: numeric cells, numbers inside text cells and names, and its row counts."""
    yield float(table.n_rows)
    yield float(len(table.rows))
    for name in table.columns:
        yield from (v for n in _numbers(name) for v, _ in n.candidates)
    for row in table.rows:
        for value in row:
            number = _as_number(value)
            if number is not None:
                yield number
            elif value is not None and not isinstance(value, bool):
                yield from (v for n in _numbers(str(value)) for v, _ in n.candidates)


_SINGLE = re.compile(
    r"\b(?:highest|lowest|largest|smallest|most|least|best|worst|biggest|maximum|minimum|oldest|youngest|longest|"
    r"shortest|earliest|latest|greatest|fewest|how many|how much|total|average|sum|count|number of|mean|median)\b"
    r"|^\s*(?:is|are|was|were|does|do|did|has|have|can)\b")
_SMALL_NUMBER = r"(?:\d{1,3}|" + "|".join(_NUMBER_WORDS[2:]) + r")"
_PLURAL = re.compile(
    r"\b(?:top|first|last|bottom)\s+" + _SMALL_NUMBER + r"\b|(?<![\d,.])\b" + _SMALL_NUMBER + r"\s+[a-z]+s\b"
    r"|\b(?:each|every|all|list|per|rank|ranking|compare|group(?:ed)? by|broken down by)\b"
    r"|\b(?:which|what)\s+[a-z]+s\b(?<!ss)(?<!us)(?<!is)(?<!was)(?<!has)(?<!does)")


def _asks_for_one(question: str) -> bool:
    """True when the question asks for one thing (a superlative or an aggregate), not a list."""
    q = question.lower()
    return bool(_SINGLE.search(q)) and not _PLURAL.search(q)


def _mentions(answer_folded: str, label: str) -> bool:
    """True when the answer names the label (case-insensitive), or its head before a comma (``Hong Kong``)."""
    folded = _fold(label)
    if not folded or f" {folded} " in answer_folded:
        return True
    head = _fold(label.split(",")[0].split("(")[0])
    return bool(head) and head != folded and f" {head} " in answer_folded


def _states_value(answer: str, value: object) -> bool:
    """True when the answer states the single value of a one-cell result (rounded as written, or as a word)."""
    if isinstance(value, str) and not _is_numeric_text(value):
        return _mentions(" " + _fold(answer) + " ", value)
    number = _as_number(value)
    if number is None and isinstance(value, str):
        number = next((v for n in _numbers(value) for v, _ in n.candidates[:1]), None)
    if number is None:
        return True  # NULL or NaN: nothing to look for
    pool = _NumberPool([number])
    if any(pool.covers(v, h) for n in _numbers(answer) for v, h in n.candidates):
        return True
    if number == int(number) and number < len(_NUMBER_WORDS):
        return re.search(rf"\b{_NUMBER_WORDS[int(number)]}\b", answer, re.I) is not None
    return False


def _missing(answer: str, question: str, tables: Sequence[Table]) -> list[str]:
    """Row labels (or the single value) of short, complete results that the answer leaves out."""
    missing: list[str] = []
    folded = " " + _fold(answer) + " "
    asked = " " + _fold(question) + " "
    for table in tables:
        if not table.rows or table.truncated or table.n_rows > SHORT_RESULT_ROWS:
            continue
        if len(table.rows) == 1 and len(table.columns) == 1:
            value = _cell(table.rows[0], 0)
            if not _states_value(answer, value):
                missing.append(format_number(value))
            continue
        if len(table.rows) > 1 and _asks_for_one(question):
            continue
        c = _label_column(table)
        if c is None:
            continue
        for row in table.rows:
            label = _cell(row, c)
            if label is None or (len(table.rows) == 1 and _mentions(asked, str(label))):
                continue  # "What is the population of Springfield?" needs no "Springfield" in the answer
            if not _mentions(folded, str(label)):
                missing.append(str(label))
    return missing


# ---------------------------------------------------------------------------------------------------------------
# The check


def check_answer(answer: str, evidence: str, question: str = "", *, tables: Sequence[Table] = ()) -> Faithfulness:
    """Check that every number and named thing in ``answer`` is in the evidence, and that short results are whole.

    Args:
        answer: The drafted final answer.
        evidence: The evidence text the writer read (SQL results as text, passages with their titles).
        question: The user's question; numbers and names in it count as evidence.
        tables: The SQL results behind the evidence; their cells count as evidence, and a result of at most ten
            rows (all present) must have every row's label in the answer, unless the question asks for one thing.
            A one-cell result (a count) must have its value in the answer.

    A number is supported when some evidence number rounds to it at the precision the answer wrote (``82.6`` ←
    ``82.603``, ``83`` ← ``82.603``, ``1.2 million`` ← ``1234567``, ``12%`` ← ``0.12``), or it counts a table's
    rows; signs are ignored. Text in backticks or code fences, and after ``SQL:``, is not checked.
    """
    text = _strip_code(answer)
    pool = _NumberPool(
        [v for source in (evidence, question) for n in _numbers(source) for v, _ in n.candidates]
        + [v for table in tables for v in _table_numbers(table)])
    most_rows = max((max(t.n_rows, len(t.rows)) for t in tables), default=0)
    unsupported: list[str] = []
    checked = 0

    for number in _numbers(_LIST_MARKER.sub(r"\1", text)):
        checked += 1
        if number.ordinal and 1 <= number.candidates[0][0] <= most_rows:
            continue  # "3rd": a rank within a result
        if not any(pool.covers(v, h) for v, h in number.candidates):
            unsupported.append(number.text)

    corpus = _Corpus([evidence, question, *(s for t in tables for s in _table_texts(t))])
    common = frozenset(w.lower() for source in (answer, question, evidence) for w in _WORD.findall(source)
                       if w[0].islower())
    names: list[str] = []
    for m in _QUOTED.finditer(text):
        names.append(next(g for g in m.groups() if g is not None))
    names.extend(_possessive(e) for e in _entities(_QUOTED.sub(lambda m: "," * len(m[0]), text), common))
    for name in names:
        if not _fold(name):
            continue
        checked += 1
        if not corpus.supports(name):
            parts = [p for p in _split_and(name) if not corpus.supports(p)]
            unsupported.extend(parts or [name])

    return Faithfulness(tuple(dict.fromkeys(unsupported)), tuple(dict.fromkeys(_missing(answer, question, tables))),
                        checked)


# ---------------------------------------------------------------------------------------------------------------
# Formatting and the templated answer


def format_number(value: object) -> str:
    """A cell as an answer writes it: ints with thousands separators, floats to 2 decimals, None as ``none``.

    ``1234567`` → ``1,234,567``; ``81.70100000000002`` → ``81.7``; ``82.208`` → ``82.21``; ``81.235`` → ``81.24``
    (half up, on the float's shortest decimal form); a small non-zero float keeps two significant digits
    (``0.00012``) rather than becoming ``0``; booleans are ``true``/``false``; strings and other values are
    returned as text.
    """
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "infinity" if value > 0 else "-infinity"
        value = Decimal(repr(value))  # the shortest decimal that is this float: 81.235, not 81.23499999…
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value).lower()
        if value == value.to_integral_value():
            return f"{int(value):,}"
        places = 2 if abs(value) >= Decimal("0.01") else 1 - value.adjusted()
        context = Context(prec=max(28, value.adjusted() + places + 2))
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=context)
        return f"{rounded:,f}".rstrip("0").rstrip(".")
    return str(value)


_AGGREGATE = re.compile(r"^(count_star|count|avg|sum|min|max|mean|median)\s*\(\s*(distinct\s+)?(.*?)\s*\)$", re.I)
_AGGREGATE_NAMES = {"avg": "average", "mean": "average", "sum": "total", "min": "minimum", "max": "maximum",
                    "median": "median"}


def _pretty_column(name: str) -> str:
    """A column name as words: ``count(*)`` → ``Count``, ``avg(age)`` → ``Average age``, ``life_expectancy`` →
    ``Life expectancy``."""
    name = name.strip()
    m = _AGGREGATE.match(name)
    if m:
        func, distinct, inner = m[1].lower(), bool(m[2]), _pretty_column(m[3]).lower() if m[3] else ""
        if func.startswith("count"):
            if inner in ("", "*"):
                return "Count"
            return f"Number of {'distinct ' if distinct else ''}{inner}"
        words = f"{_AGGREGATE_NAMES[func]} {inner}".strip()
    else:
        words = " ".join(re.sub(r"^\w+\.(?=\w)", "", name).replace("_", " ").split())
    if not words:
        return "Value"
    return words[0].upper() + words[1:]


def _inline_column(name: str) -> str:
    """A pretty column name inside a sentence: first letter lowercase unless it is an acronym (``GDP``)."""
    pretty = _pretty_column(name)
    if len(pretty) > 1 and pretty[1].isupper():
        return pretty
    return pretty[0].lower() + pretty[1:]


def _end(text: str) -> str:
    return text if text.endswith(".") else text + "."


def template_answer(question: str, table: Table) -> str:
    """A plain, correct answer written from the table's rows alone (for when an LM draft fails ``check_answer``).

    No rows: ``The query returned no rows.``; one cell: ``Count: 6.``; one row: ``Country: Japan, Life expectancy:
    82.6.``; several rows: each row's label with its other values in parentheses, ``Japan (82.6), Iceland
    (81.76).`` (items separated by ``; `` when a label has a comma), and after ten rows ``… (N rows in all)``.
    The question is accepted for symmetry with ``check_answer``; the answer does not depend on it.
    """
    del question
    if not table.rows:
        return "The query returned no rows."
    columns = list(table.columns) or ["value"]
    if len(table.rows) == 1 and table.n_rows <= 1:
        row = table.rows[0]
        if len(columns) == 1:
            return _end(f"{_pretty_column(columns[0])}: {format_number(_cell(row, 0))}")
        values = [format_number(_cell(row, c)) for c in range(len(columns))]
        sep = "; " if any("," in v for v in values) else ", "
        return _end(sep.join(f"{_pretty_column(name)}: {v}" for name, v in zip(columns, values, strict=True)))

    label = _label_column(table)
    others = [c for c in range(len(columns)) if c != label]
    shown = table.rows[:TEMPLATE_ROWS]
    items: list[str] = []
    for row in shown:
        if label is None:
            items.append(", ".join(f"{_inline_column(columns[c])}: {format_number(_cell(row, c))}" for c in others))
            continue
        head = format_number(_cell(row, label))
        if not others:
            items.append(head)
        elif len(others) == 1:
            items.append(f"{head} ({format_number(_cell(row, others[0]))})")
        else:
            inner = ", ".join(f"{_inline_column(columns[c])}: {format_number(_cell(row, c))}" for c in others)
            items.append(f"{head} ({inner})")
    labels = [format_number(_cell(row, label)) for row in shown] if label is not None else []
    sep = "; " if label is None or any("," in text for text in labels) else ", "
    body = sep.join(items)
    total = max(table.n_rows, len(table.rows))
    if total > len(shown):
        return f"{body} … ({format_number(total)} rows in all)"
    return _end(body)


def table_from_record(record: Mapping[str, Any]) -> Table | None:
    """The ``Table`` of a ``table`` record (``columns``, ``rows``, ``n_rows``), or None when it has no rows to show
    (the SQL failed, or the record is of another type)."""
    columns = record.get("columns")
    rows = record.get("rows")
    if not isinstance(columns, list | tuple) or not isinstance(rows, list | tuple):
        return None
    n_rows = record.get("n_rows")
    return Table(tuple(str(c) for c in columns), tuple(tuple(r) for r in rows),
                 n_rows if isinstance(n_rows, int) and not isinstance(n_rows, bool) else len(rows))


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[])")


def supported_sentences(answer: str, evidence: str, question: str = "", *, tables: Sequence[Table] = ()) -> list[str]:
    """The sentences of ``answer`` that are faithful on their own and name no row of ``tables``.

    When a draft fails and the tables' part is rewritten from the rows, these are what the draft said about
    the rest (the cited sources, say), kept because every number and name in them is in the evidence.
    """
    labels = []
    for table in tables:
        column = _label_column(table)
        if column is not None:
            labels += [str(row[column]) for row in table.rows if column < len(row) and row[column] is not None]
    kept = []
    for sentence in _SENTENCE_SPLIT.split(answer.strip()):
        folded = f" {_fold(sentence)} "
        if not sentence.strip() or any(_mentions(folded, label) for label in labels):
            continue
        if check_answer(sentence, evidence, question).faithful:
            kept.append(sentence.strip())
    return kept
