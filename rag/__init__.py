"""News Desk: cited answers from a folder of news articles.

The packages are the stages a passage goes through, each importing only those listed before it:

- `rag.language`: words, names, spaCy's parse and WordNet's noun kinds, shared by all stages;
- `rag.ingest`: article files and feeds read into clean, dated articles and split into passages;
- `rag.store`: passages embedded and kept in Chroma and a BM25 keyword index, synced with the folder;
- `rag.retrieve`: passages found for a question (hybrid search, publication-date windows);
- `rag.models`: the models (the llama.cpp or OpenAI-compatible chat model, its yes/no judge, the
  trained reader) and the prompts they see;
- `rag.answer`: the question read, candidate sentences chosen, checked and turned into a cited reply.

`rag.settings` (one typed settings object), `rag.service` (the parts wired together) and `rag.cli`
sit on top; the Streamlit page in `ui/` is a client of the service.
"""
