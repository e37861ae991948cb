"""Documents, their chunks, and the corpus fingerprint that ties an index to its corpus.

A ``Corpus`` comes from a BEIR ``corpus.jsonl``, a folder of text or markdown
files, a DataFrame, or any iterable of ``Document``. Long documents are cut
into overlapping chunks of ``chunk_words`` words (``overlap_words`` shared
between neighbours); every chunk keeps its document id and its character
offsets in the document text, so a hit can always be traced to its source.

The fingerprint is a sha256 over every document (id, title, text, in order)
and the chunking parameters: an index built on one corpus refuses another.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import InputError, MissingInputError

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_CHUNK_WORDS = 256
DEFAULT_OVERLAP_WORDS = 32
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".rst")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Document:
    """One document: a unique ``id``, its ``text``, an optional ``title`` and metadata."""

    id: str
    text: str
    title: str = ""
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document: ``text`` is ``document.text[start:end]``; ``index`` counts chunks within it."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    title: str = ""

    def __repr__(self) -> str:
        return f"Chunk({self.doc_id!r} #{self.index}, chars {self.start}-{self.end}, {self.text!r:.60})"

    @property
    def indexed_text(self) -> str:
        """What the search indexes see: the document title, then the chunk text."""
        return f"{self.title}\n{self.text}" if self.title else self.text


def chunk_document(doc: Document, chunk_words: int = DEFAULT_CHUNK_WORDS,
                   overlap_words: int = DEFAULT_OVERLAP_WORDS) -> list[Chunk]:
    """Cut ``doc`` into chunks of at most ``chunk_words`` words, neighbours sharing ``overlap_words`` words.

    A document that fits is one chunk holding its whole text. An empty document is one empty chunk,
    so that every document stays addressable.
    """
    if chunk_words <= 0 or not 0 <= overlap_words < chunk_words:
        raise ValueError(f"Need chunk_words > 0 and 0 <= overlap_words < chunk_words; "
                         f"got chunk_words={chunk_words}, overlap_words={overlap_words}")
    words = [(m.start(), m.end()) for m in _WORD.finditer(doc.text)]
    if len(words) <= chunk_words:
        return [Chunk(doc.id, 0, 0, len(doc.text), doc.text, doc.title)]
    chunks: list[Chunk] = []
    step = chunk_words - overlap_words
    for number, first in enumerate(range(0, len(words) - overlap_words, step)):
        last = min(first + chunk_words, len(words)) - 1
        start, end = words[first][0], words[last][1]
        chunks.append(Chunk(doc.id, number, start, end, doc.text[start:end], doc.title))
        if last == len(words) - 1:
            break
    return chunks


class Corpus:
    """An ordered collection of documents and their chunks.

    Args:
        documents: The documents; ids must be unique and non-empty.
        chunk_words: Most words per chunk.
        overlap_words: Words shared by neighbouring chunks of one document.
    """

    def __init__(self, documents: Iterable[Document], *, chunk_words: int = DEFAULT_CHUNK_WORDS,
                 overlap_words: int = DEFAULT_OVERLAP_WORDS) -> None:
        self.chunk_words = chunk_words
        self.overlap_words = overlap_words
        self.documents: list[Document] = []
        self.chunks: list[Chunk] = []
        self._by_id: dict[str, Document] = {}
        self._digest = hashlib.sha256(f"chunks:{chunk_words}:{overlap_words}".encode())
        self.add(documents)

    # ----- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_beir(cls, path: str | Path, **kwargs: Any) -> Corpus:
        """Read a BEIR ``corpus.jsonl`` (``{"_id", "title", "text", "metadata"?}`` per line), or a folder holding it."""
        path = Path(path)
        if path.is_dir():
            path = path / "corpus.jsonl"
        return cls(_read_beir_corpus(path), **kwargs)

    @classmethod
    def from_folder(cls, path: str | Path, suffixes: tuple[str, ...] = TEXT_SUFFIXES, **kwargs: Any) -> Corpus:
        """Every text/markdown file under ``path`` (recursively, sorted) is a document; its id is the relative path.

        A markdown file's first ``# heading`` becomes its title.
        """
        root = Path(path)
        if not root.is_dir():
            raise MissingInputError(f"Corpus folder not found: {root}")
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        if not files:
            raise InputError(f"No {', '.join(suffixes)} files under {root}; pass suffixes=... for other kinds")
        docs = []
        for file in files:
            text = file.read_text(encoding="utf-8", errors="replace")
            heading = re.match(r"\s*#\s+(.+)", text)
            docs.append(Document(file.relative_to(root).as_posix(), text, heading.group(1).strip() if heading else "",
                                 {"path": str(file)}))
        return cls(docs, **kwargs)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, text: str = "text", id: str | None = None,
                   title: str | None = None, **kwargs: Any) -> Corpus:
        """One document per row: ``text`` column, ids from the ``id`` column (or the row index), optional ``title``.

        The other columns become each document's metadata.
        """
        missing = [c for c in (text, id, title) if c is not None and c not in frame.columns]
        if missing:
            raise ValueError(f"DataFrame has no column(s) {missing}; its columns are {list(frame.columns)}")
        rest = [c for c in frame.columns if c not in (text, id, title)]
        ids = frame[id].astype(str).tolist() if id else [str(i) for i in frame.index]
        titles = frame[title].fillna("").astype(str).tolist() if title else [""] * len(frame)
        texts = frame[text].fillna("").astype(str).tolist()
        records = frame[rest].to_dict("records") if rest else [{} for _ in ids]
        metadata: list[dict[str, Any]] = [{str(k): v for k, v in row.items()} for row in records]
        return cls((Document(i, t, h, m) for i, t, h, m in zip(ids, texts, titles, metadata, strict=True)), **kwargs)

    def add(self, documents: Iterable[Document]) -> list[Chunk]:
        """Append documents (ids must be new); returns their chunks. The fingerprint changes accordingly."""
        added: list[Chunk] = []
        for doc in documents:
            if not isinstance(doc, Document):
                raise TypeError(f"Expected a workbench Document, got {type(doc).__name__}: {doc!r:.80}")
            if not doc.id:
                raise InputError(f"Document with an empty id (title {doc.title!r}, text {doc.text[:60]!r})")
            if doc.id in self._by_id:
                raise InputError(f"Duplicate document id {doc.id!r}; ids must be unique within a corpus")
            self._by_id[doc.id] = doc
            self.documents.append(doc)
            for part in (doc.id, doc.title, doc.text):
                self._digest.update(part.encode("utf-8", "surrogatepass"))
                self._digest.update(b"\x00")
            added += chunk_document(doc, self.chunk_words, self.overlap_words)
        self.chunks += added
        return added

    # ----- access --------------------------------------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """sha256 (hex) over every document in order and the chunking parameters."""
        return self._digest.hexdigest()

    def __len__(self) -> int:
        return len(self.documents)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._by_id

    def __getitem__(self, doc_id: str) -> Document:
        try:
            return self._by_id[doc_id]
        except KeyError:
            raise KeyError(f"No document {doc_id!r} in this corpus of {len(self)} documents") from None

    def __repr__(self) -> str:
        return (f"Corpus({len(self)} documents, {len(self.chunks)} chunks of <= {self.chunk_words} words, "
                f"fingerprint {self.fingerprint[:12]})")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(d.id)}</td><td>{html.escape(d.title[:80])}</td>"
                       f"<td>{html.escape(d.text[:160])}</td></tr>" for d in self.documents[:5])
        return (f"<p>{html.escape(repr(self))}</p><table><tr><th>id</th><th>title</th><th>text</th></tr>{rows}"
                f"</table>")


def _read_beir_corpus(path: Path) -> Iterator[Document]:
    from workbench.jsonl import read_jsonl

    return read_jsonl(path, lambda item: Document(str(item["_id"]), item.get("text") or "", item.get("title") or "",
                                                  item.get("metadata") or {}),
                      "BEIR corpus", '{"_id": ..., "title": ..., "text": ...}')
