"""Plumbing every app shares and that knows no app: domain errors and the form and console
helpers that display them. The bottom layer (docs/architecture.md §1): it imports nothing of
the project."""
