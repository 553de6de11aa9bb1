"""Task table of the selected week: model, filter/sort proxy, dialog and panel."""
