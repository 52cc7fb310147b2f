from rag.answer.conversation import looks_like_follow_up, standalone_question


def test_standalone_question_is_left_alone():
    history = [("Who did the board choose to lead the Kessel Observatory?", "Ottilie Brennand [1].")]
    question = "What is the boiling point of mercury?"
    assert standalone_question(question, history) == question


def test_follow_up_carries_the_previous_topic_without_a_model():
    history = [("What did the drivers' union say about the Tarrow tunnel closure?", "It strands commuters [1].")]
    question = "and what did the growers think of that?"
    assert looks_like_follow_up(question)
    rewritten = standalone_question(question, history)
    assert "growers" in rewritten and "Tarrow tunnel closure" in rewritten


def test_follow_up_retrieves_the_topic(news_service):
    history = [("What did the drivers' union say about the Tarrow tunnel closure?",
                "It would leave commuters stranded [1].")]
    answer = news_service.assistant("extractive").ask("and what did the growers think of that?", history)
    assert answer.standalone_question and "Tarrow tunnel" in answer.standalone_question
    found = news_service.retriever.search(answer.standalone_question, k=4)
    assert "02_tarrow_tunnel.txt" in {passage.source for passage in found}  # the tunnel story, not the growers'
