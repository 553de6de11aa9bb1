"""Worklog backup (issue 18): the weeks and tasks users type, uploaded as two streams, merged per employee
across devices (INGESTION_API.md §7.4) and downloaded again by cursor (§5.7)."""
