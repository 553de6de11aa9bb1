"""Helpers shared by the test suites (Xvfb, PostgreSQL, servers); plain functions, no fixtures."""
