"""Export weeks to CSV/JSON, import tasks from CSV with a preview, import a legacy database."""
