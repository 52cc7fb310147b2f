"""From retrieved passages to a cited reply. `question` reads what is asked; `evidence` splits
passages into candidate sentences; `generators` has a model select and word (or no model, for the
extractive path); `verification` checks a candidate against the question's names, numbers and
kind, and a written claim against its sentences; `calibration` and `decision` decide whether a
candidate answers; `composition` quotes, cites and words the reply; `sides`, `joins` and
`reports` handle questions about several things; `replies` holds the reply's events;
`conversation` makes follow-ups stand alone; `assistant` runs the whole answer stage, streaming
events."""
