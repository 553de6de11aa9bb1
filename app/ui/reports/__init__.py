"""The Reports tab: any date range, grouped, charted and exported."""
