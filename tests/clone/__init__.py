"""Tests of the clone session."""
