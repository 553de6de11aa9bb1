"""WFH Agent desktop application."""
