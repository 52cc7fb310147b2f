"""The trained reader (`rag.models.reader`) on the committed model: loading, batching, the threshold,
the span."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.models.reader import Reader, ReaderInput, context_text, default_model_dir, encode, load_tokenizer


@pytest.fixture(scope="module")
def reader() -> Reader:
    loaded = Reader()
    loaded.warm_up()
    return loaded


FOUNDING = ReaderInput(
    "Who founded the Halden Glassworks?",
    "The Halden Glassworks was founded in 1887 by Ingrid Solberg, a chemist from Bergen.",
    before="Glassmaking came to the valley late.",
    title="A town built on glass",
)
WEATHER = ReaderInput(
    "Who founded the Halden Glassworks?",
    "Heavy rain closed the coastal road for most of Tuesday.",
    before="Glassmaking came to the valley late.",
    title="A town built on glass",
)


def test_the_committed_model_loads_with_its_card_and_threshold(reader: Reader):
    card = reader.card
    assert (default_model_dir() / card["graph"]).exists()
    assert (default_model_dir() / "MODEL_CARD.md").exists()
    assert 0.0 < reader.threshold < 1.0
    assert card["held_out"], "the threshold is chosen on held-out training articles"


def test_a_missing_graph_is_reported_by_name(tmp_path: Path):
    folder = tmp_path / "reader"
    folder.mkdir()
    (folder / "reader.json").write_text(json.dumps({"graph": "absent.onnx", "threshold": 0.5}), "utf-8")
    shutil.copy(default_model_dir() / "tokenizer.json", folder / "tokenizer.json")
    with pytest.raises(FileNotFoundError, match="absent.onnx"):
        Reader(folder).read([FOUNDING])


def test_the_answering_sentence_passes_and_an_unrelated_one_does_not(reader: Reader):
    answering, unrelated = reader.read([FOUNDING, WEATHER])
    assert answering.probability >= reader.threshold > unrelated.probability


def test_the_span_is_the_answer_inside_the_sentence(reader: Reader):
    (reading,) = reader.read([FOUNDING])
    assert "Ingrid Solberg" in reading.short_answer(FOUNDING.sentence)
    start, end = reading.span
    assert 0 <= start < end <= len(FOUNDING.sentence)


def test_a_batch_reads_as_the_items_do_one_by_one_and_keeps_their_order(reader: Reader):
    items = [WEATHER, FOUNDING, ReaderInput("When was the glassworks founded?", FOUNDING.sentence), WEATHER]
    small = Reader(batch_size=2)
    together = small.read(items)
    alone = [reader.read([item])[0] for item in items]
    for a, b in zip(together, alone, strict=True):
        # 8-bit activations are scaled over the whole batch, so a batch moves a score slightly
        assert a.probability == pytest.approx(b.probability, abs=0.05)
    # the same items in another order are batched alike and read back in their own order
    distinct = items[:3]  # lengths all differ, so they sort into the same batches whatever their order
    assert small.read(distinct[::-1])[::-1] == small.read(distinct)
    assert reader.read([]) == []


def test_the_span_never_leaves_the_candidate_sentence():
    tokenizer = load_tokenizer(default_model_dir())
    encoded = encode(tokenizer, [FOUNDING])
    context, shift = context_text(FOUNDING)
    assert context[shift:] == FOUNDING.sentence
    pieces = [offset for offset, inside in zip(encoded.offsets[0], encoded.allowed[0]) if inside]
    assert pieces[0][0] == 0 and pieces[-1][1] == len(FOUNDING.sentence)
    # the title and the sentence before are read, but no word piece of theirs can be the answer
    assert encoded.allowed[0].sum() < encoded.mask[0].sum()
