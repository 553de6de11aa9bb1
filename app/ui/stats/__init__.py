"""Statistics of the selected week: figures, time-per-project chart and table."""
