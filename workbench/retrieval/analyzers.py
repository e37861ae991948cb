"""Language-aware tokenisation for keyword search.

An analyzer turns a text into the terms BM25 counts. ``analyzer(name)``
gives one by name:

* ``english``: lower case, words of two or more letters/digits, English stop
  words removed, Snowball (Porter 2) stemming through PyStemmer;
* ``korean``: both of the next two (morphemes and bigrams); it measured
  best on KorQuAD (README);
* ``korean-morph``: morphemes from the Kiwi analyser (``kiwipiepy``, whose
  model ships on PyPI), keeping content morphemes (nouns, verb and adjective
  stems, roots, numbers, foreign words); Latin-script words are
  treated as English;
* ``korean-ngram``: character bigrams within each word (no dictionary);
* ``whitespace``: lower case, split on white space (the baseline).

``auto`` picks ``korean`` when Hangul makes up a fifth or more of the letters
in a sample of the corpus, and ``english`` otherwise. KorQuAD measurements
comparing the Korean options are in the README.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Sequence

from workbench.errors import InputError

Analyzer = Callable[[str], list[str]]
# Bumped whenever an analyzer's output changes: saved keyword indexes record it and are rebuilt on a mismatch.
ANALYZER_VERSION = 2

ANALYZERS = ("english", "korean", "korean-morph", "korean-ngram", "whitespace")
_WORD = re.compile(r"(?u)\b\w\w+\b")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LETTER = re.compile(r"[^\W\d_]")
KOREAN_CONTENT_TAGS = ("NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "XR", "SL", "SN", "SH", "MAG")


def analyzer(name: str) -> Analyzer:
    """The analyzer called ``name`` (one of ``ANALYZERS``)."""
    factories: dict[str, Callable[[], Analyzer]] = {
        "english": lambda: english, "korean": lambda: korean, "korean-morph": lambda: korean_morphemes,
        "korean-ngram": lambda: korean_ngrams,
        "whitespace": lambda: whitespace,
    }
    if name not in factories:
        raise InputError(f"Unknown analyzer {name!r}; choose one of {', '.join(ANALYZERS)} or 'auto'")
    return factories[name]()


def detect_language(texts: Iterable[str], sample: int = 200) -> str:
    """``korean`` when at least a fifth of the letters in the first ``sample`` texts are Hangul, else ``english``."""
    hangul = letters = 0
    for i, text in enumerate(texts):
        if i >= sample:
            break
        hangul += len(_HANGUL.findall(text))
        letters += len(_LETTER.findall(text))
    return "korean" if letters and hangul / letters >= 0.2 else "english"


def whitespace(text: str) -> list[str]:
    """Lower-cased white-space tokens."""
    return text.lower().split()


@functools.cache
def _english_stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


_stemmer_local = threading.local()


def _stem_words(words: Sequence[str]) -> list[str]:
    stemmer = getattr(_stemmer_local, "stemmer", None)
    if stemmer is None:  # PyStemmer objects are not thread-safe: one per thread
        import Stemmer

        stemmer = _stemmer_local.stemmer = Stemmer.Stemmer("english")
    return stemmer.stemWords(words)


def english(text: str) -> list[str]:
    """English terms: lower case, stop words out, Snowball-stemmed."""
    stop = _english_stopwords()
    return _stem_words([w for w in _WORD.findall(text.lower()) if w not in stop])


_kiwi_lock = threading.Lock()


@functools.cache
def _kiwi() -> object:
    from kiwipiepy import Kiwi

    return Kiwi()


def korean(text: str) -> list[str]:
    """Kiwi content morphemes followed by in-word character bigrams."""
    return korean_morphemes(text) + korean_ngrams(text)


def korean_morphemes(text: str) -> list[str]:
    """Korean content morphemes (Kiwi), with Latin-script words handled as English."""
    kiwi = _kiwi()
    with _kiwi_lock:
        tokens = kiwi.tokenize(text)  # type: ignore[attr-defined]
    terms: list[str] = []
    latin: list[str] = []
    for token in tokens:
        if token.tag == "SL":
            latin.append(token.form.lower())
        elif token.tag.startswith(KOREAN_CONTENT_TAGS):
            terms.append(token.form)
    if latin:
        terms += english(" ".join(latin))
    return terms


def korean_ngrams(text: str, n: int = 2) -> list[str]:
    """Character ``n``-grams inside each white-space word (a word shorter than ``n`` is kept whole)."""
    terms: list[str] = []
    for word in _WORD.findall(text.lower()):
        if len(word) <= n:
            terms.append(word)
        else:
            terms += [word[i:i + n] for i in range(len(word) - n + 1)]
    return terms
