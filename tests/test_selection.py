"""Reading a generator's reply: JSON under the schema, or free text with or without markers."""

from rag.answer.evidence import EvidenceSentence
from rag.answer.generators import _partial_answer, parse_selection

EVIDENCE = [
    EvidenceSentence("The lantern parade was led by the mayor, Tessa Morrow.", 0, "a.txt", 0, 54),
    EvidenceSentence("The festival drew 48,000 visitors on Saturday.", 0, "a.txt", 55, 101),
]


def test_json_reply_gives_numbers_and_answer():
    selection = parse_selection('{"evidence": [2, 2, 9], "answer": "48,000 visitors"}', EVIDENCE)
    assert selection.sentences == [2]  # repeated and out-of-range numbers dropped
    assert selection.answer == "48,000 visitors"


def test_free_text_with_markers_keeps_them():
    selection = parse_selection("Tessa Morrow led the parade [1].", EVIDENCE)
    assert selection.sentences == [1]
    assert selection.answer == "Tessa Morrow led the parade."


def test_free_text_without_markers_is_matched_to_its_sentence():
    selection = parse_selection("The festival drew 48,000 visitors.", EVIDENCE)
    assert selection.sentences == [2]
    assert selection.notes


def test_free_text_that_no_sentence_supports_chooses_nothing():
    selection = parse_selection("The parade was cancelled because of rain.", EVIDENCE)
    assert selection.sentences == []


def test_answer_text_streams_out_of_partial_json():
    assert _partial_answer('{"evidence": [1], "answer": "Tessa Mo') == "Tessa Mo"
    assert _partial_answer('{"evidence": [1], "ans') == ""
    assert _partial_answer('{"evidence": [1], "answer": "say \\"hi\\"') == 'say "hi"'
