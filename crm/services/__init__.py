"""The domain operations: plain typed functions that flush but never commit.

Callers (views, CLI commands, the scheduler's job wrapper, the import pipeline) own the unit of
work and commit once.
"""
