"""The kinds of thing a question can ask for, shared by question analysis and the WordNet lexicon."""

PERSON, TIME, QUANTITY, PLACE, ORGANISATION = "person", "time", "quantity", "place", "organisation"
