"""Worker agents: each answers one kind of task through an async ``execute``."""
