"""Tests of ivpm.fetch."""
