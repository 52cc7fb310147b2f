"""Where passages are kept. Takes passages from `rag.ingest`; gives a persistent Chroma collection
of their embeddings (`embedding`: all-MiniLM-L6-v2 on ONNX Runtime) beside a BM25 keyword index
(`keywords`), written together through one LangChain vector store (`passages`), kept in step with
the articles folder by content hash so that nothing unchanged is embedded again (`index`), under
one writer at a time (`locks`)."""
