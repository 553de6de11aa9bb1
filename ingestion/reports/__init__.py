"""The read side of the server: rollups kept by the ingest transaction, and the reports built on them."""
