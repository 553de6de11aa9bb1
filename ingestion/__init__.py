"""WFH Agent ingestion server."""
