"""Scoring contracts and scorer kinds: an explicit scenario's turn scored by weighted
functions, each run in a sandbox that sees the workspace read-only (docs/scoring.md)."""
