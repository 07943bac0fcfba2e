"""Test suite for electionbot."""
