from rag.conversation import looks_like_follow_up, standalone_question


def test_standalone_question_is_left_alone():
    history = [("Which Russian foreign minister did Rubio meet?", "Lavrov [1].")]
    assert standalone_question("What is the capital of Australia?", history) == "What is the capital of Australia?"


def test_follow_up_carries_the_previous_topic_without_a_model():
    history = [("What did Rubio say about the Trump-Putin meeting?", "It hinges on progress [1].")]
    question = "and what did China say about that?"
    assert looks_like_follow_up(question)
    rewritten = standalone_question(question, history)
    assert "China" in rewritten and "Trump-Putin meeting" in rewritten


def test_follow_up_retrieves_the_topic(seeded_service):
    history = [("What did Rubio say about the Trump-Putin meeting?", "It hinges on progress in the war [1].")]
    answer = seeded_service.assistant("extractive").ask("and what did China say about that?", history)
    assert answer.standalone_question and "Trump-Putin" in answer.standalone_question
    found = seeded_service.retriever.search(answer.standalone_question, k=4)
    assert "002_4614d4928a4a6c8c.txt" in {passage.source for passage in found}  # the Rubio article
