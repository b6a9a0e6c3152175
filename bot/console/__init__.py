"""The instructor and admin console: server-rendered pages behind a login (`pages.py`).

This package holds the login, logout and landing pages; the console's working pages (transcripts,
learner progress, graph browser, review queue) build on the same templates and dependencies.
"""
