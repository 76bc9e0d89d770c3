"""Domain operations as plain functions. They flush, never commit, and know nothing of HTTP."""
