"""The ONNX Runtime embedder against sentence-transformers on torch, the same packaged model."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_service

from rag.settings import load_settings
from rag.store.embedding import OnnxEmbeddings, SentenceTransformerEmbeddings, make_embedder

TEXTS = [
    "The council approved the new budget on Tuesday.",
    "Zürich's central bank held rates steady.",
    "short",
    # longer than the model reads (256 word pieces): both cut it at the same place
    " ".join(f"sentence {n} of a very long report about harbour repairs and the ferry timetable." for n in range(60)),
]


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbeddings:
    model = SentenceTransformerEmbeddings()
    model.warm_up()
    return model


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache") / "onnx"  # where make_embedder puts it under the model cache


def test_onnx_vectors_are_the_torch_vectors(torch_embedder, onnx_cache):
    onnx = OnnxEmbeddings(onnx_cache, batch_size=3)  # texts sorted by length into several batches
    torch_vectors = np.array(torch_embedder.embed_documents(TEXTS))
    onnx_vectors = np.array(onnx.embed_documents(TEXTS))
    assert onnx_vectors.shape == torch_vectors.shape
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    assert (onnx_vectors * torch_vectors).sum(axis=1).min() > 0.9999
    query = np.array(onnx.embed_query(TEXTS[0]))
    assert float(query @ torch_vectors[0]) > 0.9999


def test_int8_vectors_stay_close_and_rank_alike(torch_embedder, onnx_cache):
    int8 = OnnxEmbeddings(onnx_cache, quantized=True)
    torch_vectors = np.array(torch_embedder.embed_documents(TEXTS))
    int8_vectors = np.array(int8.embed_documents(TEXTS))
    assert (int8_vectors * torch_vectors).sum(axis=1).min() > 0.98
    question = "What did the council decide about the budget?"
    assert int(np.argmax(int8_vectors @ np.array(int8.embed_query(question)))) == int(
        np.argmax(torch_vectors @ np.array(torch_embedder.embed_query(question)))
    ) == 0


def test_onnx_counts_word_pieces_like_torch_and_exports_once(torch_embedder, onnx_cache):
    first = OnnxEmbeddings(onnx_cache)
    for text in TEXTS:
        assert first.count_tokens(text) == torch_embedder.count_tokens(text)
    assert first.count_tokens(TEXTS[-1]) > first.max_tokens  # measured whole, not cut
    exported = sorted(onnx_cache.glob("*.onnx"))
    stamps = [path.stat().st_mtime_ns for path in exported]
    OnnxEmbeddings(onnx_cache).embed_query("again")
    assert sorted(onnx_cache.glob("*.onnx")) == exported
    assert [path.stat().st_mtime_ns for path in exported] == stamps


def test_changing_the_embedder_embeds_every_passage_again(tmp_path, torch_embedder, onnx_cache):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a.txt").write_text("Harbour report\n\nThe ferry to the island now leaves at seven.\n", "utf-8")
    make_service(articles, tmp_path / "index", torch_embedder).update_index()
    chosen = make_embedder(load_settings(embedder="onnx-int8", model_cache_dir=onnx_cache.parent))
    assert isinstance(chosen, OnnxEmbeddings) and chosen.quantized
    switched = make_service(articles, tmp_path / "index", chosen)
    report = switched.update_index()
    assert report.added == 0 and report.unchanged == 0
    assert report.updated == report.total > 0
    found = switched.retriever.search("When does the ferry leave?", k=1)
    assert found and found[0].source == "a.txt"
