"""Text helpers every stage shares. Takes strings; gives folded words, stems, stop words, numbers
and names (`words`, `names`), spaCy's parse (`nlp`), WordNet's kind of a common noun (`lexicon`)
and the kinds a question can ask for (`kinds`). Imports nothing else of the project but settings."""
