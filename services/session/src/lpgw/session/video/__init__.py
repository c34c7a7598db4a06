"""The video session manager: live streams, each owned by one session worker at a time, each
segment paid, transcoded by an orchestrator, and delivered (or delivered as source only, and
counted as a gap). Apart from the AI job path: a stream is a long-lived, ordered thing."""
