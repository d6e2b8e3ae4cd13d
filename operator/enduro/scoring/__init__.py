"""Scoring contracts of explicit scenarios: scorers, their results, reference solutions."""
