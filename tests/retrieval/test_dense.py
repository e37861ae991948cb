"""Dense retrieval: exact and approximate FAISS indexes, the kind chosen by size, growth, persistence, the encoder."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.retrieval.dense import Encoder, VectorIndex, embedding_model_path

DIM = 32


def unit_vectors(n: int, seed: int, dim: int = DIM) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force inner-product neighbours: (scores, rows), best first."""
    sims = queries @ vectors.T
    rows = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(sims, rows, axis=1), rows


@pytest.fixture(scope="module")
def corpus_vectors() -> np.ndarray:
    return unit_vectors(3_000, seed=1)


@pytest.fixture(scope="module")
def query_vectors() -> np.ndarray:
    return unit_vectors(50, seed=2)


@pytest.fixture(scope="module")
def built(corpus_vectors) -> dict[str, VectorIndex]:
    """One index of each kind over the 3,000 vectors, default search options (read-only: do not add to them)."""
    return {kind: VectorIndex(DIM, kind).build(corpus_vectors) for kind in ("flat", "ivf", "hnsw")}


def recall_at(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact, strict=True)]))


def test_a_flat_index_returns_the_exact_nearest_neighbours(built, corpus_vectors, query_vectors):
    index = built["flat"]
    scores, rows = index.search(query_vectors, 10)
    exact_scores, exact_rows = exact_neighbours(corpus_vectors, query_vectors, 10)
    assert index.resolved_kind == "flat"
    assert np.array_equal(rows, exact_rows)
    assert np.allclose(scores, exact_scores, atol=1e-5)


# Measured on these vectors (random, 32 dimensions: a hard case for IVF): recall@10 ivf 0.93, hnsw 0.99.
@pytest.mark.parametrize(("kind", "at_least"), [("ivf", 0.85), ("hnsw", 0.95)])
def test_approximate_indexes_find_most_exact_neighbours_with_true_cosine_scores(built, corpus_vectors,
                                                                                 query_vectors, kind, at_least):
    index = built[kind]
    scores, rows = index.search(query_vectors, 10)
    _, exact_rows = exact_neighbours(corpus_vectors, query_vectors, 10)
    assert index.resolved_kind == kind
    assert recall_at(rows, exact_rows) >= at_least
    # Scores are the real inner products of the rows returned (the fusion step compares them), best first.
    found = rows >= 0
    true_scores = np.einsum("qd,qkd->qk", query_vectors, corpus_vectors[np.where(found, rows, 0)])
    assert np.allclose(scores[found], true_scores[found], atol=1e-4)
    assert np.all(np.diff(scores, axis=1)[found[:, 1:]] <= 1e-6)


def test_searching_more_ivf_lists_finds_more_exact_neighbours(corpus_vectors, query_vectors):
    _, exact_rows = exact_neighbours(corpus_vectors, query_vectors, 10)
    recalls = [recall_at(VectorIndex(DIM, "ivf", nprobe=nprobe).build(corpus_vectors).search(query_vectors, 10)[1],
                         exact_rows) for nprobe in (1, 8, 1_000)]
    assert recalls[0] < recalls[1] < recalls[2] == 1.0  # probing every list is exhaustive


@pytest.mark.parametrize(("n", "ann", "expected"), [(100, "ivf", "flat"), (101, "ivf", "ivf"), (101, "hnsw", "hnsw")])
def test_auto_builds_exact_up_to_the_threshold_and_approximate_above_it(n, ann, expected):
    index = VectorIndex(DIM, "auto", ann_threshold=100, ann=ann).build(unit_vectors(n, seed=3))
    assert index.resolved_kind == expected and len(index) == n
    assert expected in repr(index)


def test_auto_with_the_default_threshold_is_exact_for_a_usual_corpus(corpus_vectors):
    assert VectorIndex(DIM).build(corpus_vectors).resolved_kind == "flat"


def test_an_auto_index_keeps_the_kind_it_was_built_with_as_it_grows():
    index = VectorIndex(DIM, "auto", ann_threshold=100).build(unit_vectors(50, seed=16))
    index.add(unit_vectors(200, seed=17))
    assert len(index) == 250 and index.resolved_kind == "flat"  # the kind is chosen at build time only


def test_every_vector_finds_itself_first_in_each_kind():
    vectors = unit_vectors(500, seed=4)
    for kind in ("flat", "ivf", "hnsw"):
        index = VectorIndex(DIM, kind, nprobe=64).build(vectors)
        scores, rows = index.search(vectors[:20], 1)
        assert rows[:, 0].tolist() == list(range(20)), kind
        assert np.allclose(scores[:, 0], 1.0, atol=1e-5), kind


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_added_vectors_get_the_next_rows_and_become_findable(kind):
    first, more = unit_vectors(400, seed=5), unit_vectors(30, seed=6)
    index = VectorIndex(DIM, kind).build(first)
    index.add(more)
    assert len(index) == 430
    _, rows = index.search(more, 1)
    assert rows[:, 0].tolist() == list(range(400, 430))


def test_add_on_an_unbuilt_index_builds_it():
    index = VectorIndex(DIM)
    vectors = unit_vectors(10, seed=7)
    index.add(vectors)
    assert len(index) == 10 and index.resolved_kind == "flat"
    assert index.search(vectors[3], 1)[1].tolist() == [[3]]


def test_adding_nothing_changes_nothing():
    index = VectorIndex(DIM).build(unit_vectors(5, seed=8))
    index.add(np.zeros((0, DIM), dtype=np.float32))
    assert len(index) == 5


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_a_saved_and_loaded_index_answers_identically(tmp_path, built, corpus_vectors, query_vectors, kind):
    index = built[kind]
    index.save(tmp_path / "vectors.faiss")
    loaded = VectorIndex.load(tmp_path / "vectors.faiss")
    assert (loaded.dim, len(loaded), loaded.resolved_kind) == (DIM, len(corpus_vectors), kind)
    for got, expected in zip(loaded.search(query_vectors, 10), index.search(query_vectors, 10), strict=True):
        assert np.array_equal(got, expected)


def test_loading_applies_the_search_options_given(tmp_path, built):
    built["ivf"].save(tmp_path / "ivf.faiss")
    built["hnsw"].save(tmp_path / "hnsw.faiss")
    assert VectorIndex.load(tmp_path / "ivf.faiss", nprobe=5).index.nprobe == 5
    assert VectorIndex.load(tmp_path / "hnsw.faiss", ef_search=17).index.hnsw.efSearch == 17


def test_a_loaded_index_keeps_growing(tmp_path):
    vectors = unit_vectors(20, seed=9)
    VectorIndex(DIM).build(vectors[:15]).save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss")
    loaded.add(vectors[15:])
    assert len(loaded) == 20
    assert loaded.search(vectors[17], 1)[1].tolist() == [[17]]


def test_saving_an_unbuilt_index_is_refused(tmp_path):
    with pytest.raises(ValueError, match="has not been built"):
        VectorIndex(DIM).save(tmp_path / "v.faiss")
    assert not (tmp_path / "v.faiss").exists()


def test_asking_for_more_neighbours_than_vectors_returns_them_all():
    vectors = unit_vectors(4, seed=10)
    scores, rows = VectorIndex(DIM).build(vectors).search(vectors[0], 10)
    assert rows.shape == scores.shape == (1, 4)
    assert sorted(rows[0].tolist()) == [0, 1, 2, 3] and rows[0, 0] == 0


def test_searching_an_empty_index_returns_no_rows_per_query():
    for index in (VectorIndex(DIM), VectorIndex(DIM).build(np.zeros((0, DIM), dtype=np.float32))):
        scores, rows = index.search(unit_vectors(3, seed=11), 5)
        assert scores.shape == rows.shape == (3, 0)


def test_a_single_query_vector_and_float64_input_are_accepted():
    vectors = unit_vectors(50, seed=12)
    index = VectorIndex(DIM).build(vectors.astype(np.float64))
    _, rows = index.search(vectors[7].astype(np.float64), 3)
    assert rows.shape == (1, 3) and rows[0, 0] == 7


def test_vectors_of_the_wrong_dimension_are_refused_with_a_hint():
    index = VectorIndex(DIM).build(unit_vectors(5, seed=13))
    for bad in (unit_vectors(2, seed=14, dim=DIM + 1), np.ones(DIM + 1, dtype=np.float32)):
        with pytest.raises(ValueError, match=r"shape \(n, 32\).*another embedding model"):
            index.search(bad, 1)
    with pytest.raises(ValueError, match=r"shape \(n, 32\)"):
        index.add(unit_vectors(2, seed=15, dim=DIM - 1))
    assert len(index) == 5


def test_unknown_index_kinds_are_refused():
    with pytest.raises(ValueError, match="Unknown vector index kind 'annoy'"):
        VectorIndex(DIM, "annoy")
    with pytest.raises(ValueError, match="'ivf' or 'hnsw'"):
        VectorIndex(DIM, ann="flat")


# The encoder: model lookup (no model needed) and, once, the real packaged MiniLM.

def test_a_local_model_folder_is_used_as_is(tmp_path):
    assert embedding_model_path(str(tmp_path)) == tmp_path


def test_an_unknown_embedding_model_is_refused_without_a_download(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"neither a packaged model .*nothing is downloaded"):
        embedding_model_path(str(tmp_path / "no-such-model"))


def test_an_unknown_encoder_backend_is_refused():
    with pytest.raises(ValueError, match="auto, onnx or torch"):
        Encoder(backend="tensorflow")


class FakeSentenceModel:
    """Stands in for a SentenceTransformer: a text's vector is fixed by its length; records each batch."""

    dim = 4

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts, **kwargs):
        self.batches.append(list(texts))
        assert kwargs["normalize_embeddings"] is True
        return np.array([[len(t), 1.0, 0.0, 0.0] for t in texts]) / np.array(
            [[np.hypot(len(t), 1.0)] for t in texts])


def fake_encoder(batch_size: int) -> tuple[Encoder, FakeSentenceModel]:
    encoder = Encoder("fake", batch_size=batch_size, backend="torch")
    encoder._model = model = FakeSentenceModel()
    return encoder, model


def test_encoding_many_texts_returns_each_texts_vector_in_the_given_order():
    encoder, model = fake_encoder(batch_size=2)
    texts = ["bb", "a", "dddd", "ccc", "eeeee"]
    vectors = encoder.encode(texts)
    assert vectors.shape == (5, 4) and vectors.dtype == np.float32
    for text, vector in zip(texts, vectors, strict=True):
        assert np.allclose(vector, encoder.encode_query(text))
    # Longest first, in batches of batch_size, so each batch pads little.
    assert model.batches[:3] == [["eeeee", "dddd"], ["ccc", "bb"], ["a"]]


def test_encoding_no_texts_gives_an_empty_matrix_of_the_model_dimension():
    encoder, model = fake_encoder(batch_size=8)
    assert encoder.encode([]).shape == (0, 4) and model.batches == []


@pytest.fixture(scope="module")
def minilm() -> Encoder:
    return Encoder(backend="torch", batch_size=2)


def test_minilm_gives_unit_vectors_in_input_order_that_put_similar_sentences_close(minilm):
    texts = ["A cat is sitting on the mat.", "Stock markets fell sharply today after the announcement.",
             "A kitten rests on a rug."]
    vectors = minilm.encode(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32 and minilm.dim == 384
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Encoding runs longest text first in batches of two; each row must still be its own text's vector.
    for text, vector in zip(texts, vectors, strict=True):
        assert np.allclose(vector, minilm.encode_query(text), atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 2] > sims[0, 1] + 0.3
    assert minilm.encode([]).shape == (0, 384)


def test_minilm_query_vectors_from_onnx_match_the_pytorch_document_vectors(minilm):
    # Queries go through ONNX Runtime (backend auto), documents through PyTorch: they must land in the same space.
    texts = ["Do statins lower LDL cholesterol?", "p53 mutations in tumour cells"]
    auto = Encoder()
    for text, document_vector in zip(texts, minilm.encode(texts), strict=True):
        assert float(auto.encode_query(text) @ document_vector) > 0.9999
    assert auto.backend == "onnx"
