"""The learner model: knowledge tracing (what a learner knows, from the answers they gave)."""
