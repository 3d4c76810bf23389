"""Tests of the activate session."""
