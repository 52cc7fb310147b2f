"""How likely a sentence is to state the answer to a question, as a probability.

A small model that writes JSON almost never says "none of these": asked to choose, it chooses.
Asked instead a yes/no question about one sentence, its probability of "yes" separates
sentences that answer from near misses (another year, another person, the opposite) well enough
to decide on: AUC 0.854 on SQuAD 2.0 training pairs, answering sentence against the near miss a
person wrote (`training/train_probe.py`, which also shows that a probe fitted on the model's
final hidden state does no better).

The probability is read from the model's next-token distribution, so one forward pass over a
short prompt is all it costs; the prompt's fixed start stays in llama.cpp's cache.
"""

from __future__ import annotations

import math

import numpy as np

from rag.models import prompts


def judge_messages(question: str, sentence: str, wording: str = prompts.JUDGE) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": prompts.SYSTEM},
        {"role": "user", "content": prompts.judge_prompt(question, sentence, wording)},
    ]


# The tokens read as the judge's answer; P(yes) is their "yes" share.
ANSWER_WORDS = ("yes", "Yes", "no", "No")


def _yes_share(probabilities: dict[str, float]) -> float:
    yes = sum(p for token, p in probabilities.items() if token.strip().lower() == "yes")
    no = sum(p for token, p in probabilities.items() if token.strip().lower() == "no")
    return yes / (yes + no) if yes + no > 0 else 0.0  # no opinion is no "yes"


class LlamaJudge:
    """P(yes) from a llama-cpp-python `Llama` (the `client` of LangChain's `ChatLlamaCpp`).

    Not thread-safe: the caller holds the model's lock.
    """

    def __init__(self, wording: str = prompts.JUDGE) -> None:
        self.wording = wording
        self._formatter = None
        self._answer_tokens: dict[str, int] | None = None

    def _format(self, llama, messages: list[dict[str, str]]) -> str:
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            self._formatter = Jinja2ChatFormatter(
                template=llama.metadata["tokenizer.chat_template"],
                eos_token=llama.detokenize([llama.token_eos()]).decode("utf-8", "ignore"),
                bos_token=llama.detokenize([llama.token_bos()]).decode("utf-8", "ignore"),
            )
        return self._formatter(messages=messages).prompt

    def _tokens_of_answers(self, llama) -> dict[str, int]:
        if self._answer_tokens is None:
            self._answer_tokens = {}
            for word in ANSWER_WORDS:
                tokens = llama.tokenize(word.encode("utf-8"), add_bos=False, special=False)
                if tokens:
                    self._answer_tokens[word] = tokens[0]
        return self._answer_tokens

    def prime(self, chat_model) -> None:
        """Judge a placeholder, so that llama.cpp holds the system message every prompt begins
        with already evaluated when the first question comes."""
        self(chat_model, "What does it say?", "It says nothing.")

    def __call__(self, chat_model, question: str, sentence: str) -> float:
        llama = chat_model.client
        prompt = self._format(llama, judge_messages(question, sentence, self.wording))
        tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        # Reuse the evaluated prefix (the fixed system prompt) and evaluate only the rest.
        cached = llama.input_ids[: llama.n_tokens].tolist()
        common = 0
        for held, new in zip(cached, tokens, strict=False):
            if held != new:
                break
            common += 1
        llama.n_tokens = min(common, len(tokens) - 1)
        llama.eval(tokens[llama.n_tokens :])
        logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))  # the last position's
        chosen = self._tokens_of_answers(llama)
        top = float(np.max(logits))
        weights = {word: math.exp(float(logits[token]) - top) for word, token in chosen.items()}
        total = float(np.sum(np.exp(logits - top)))
        return _yes_share({word: weight / total for word, weight in weights.items()})


def openai_judge(chat_model, question: str, sentence: str, wording: str = prompts.JUDGE) -> float:
    """P(yes) from an OpenAI-compatible endpoint's top log-probabilities (where it gives them)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    messages = judge_messages(question, sentence, wording)
    reply = chat_model.invoke(
        [SystemMessage(messages[0]["content"]), HumanMessage(messages[1]["content"])],
        logprobs=True, top_logprobs=10, max_tokens=1, stream=False,
    )
    content = (reply.response_metadata.get("logprobs") or {}).get("content") or []
    if not content:
        text = str(reply.content).strip().lower()
        return 1.0 if text.startswith("yes") else 0.0
    return _yes_share({item["token"]: math.exp(item["logprob"]) for item in content[0]["top_logprobs"]})
