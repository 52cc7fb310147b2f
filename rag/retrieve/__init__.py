"""Finding passages. Takes a question and the store; gives scored passages from hybrid search (dense
and BM25 fused, `retrieval`), within the publication dates the question names or an event dates
(`timeframe`)."""
