"""The list of weeks and the week dialog."""
