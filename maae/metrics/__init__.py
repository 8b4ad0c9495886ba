"""Scores of trained models (issue: scoring)."""
