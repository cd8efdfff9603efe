"""Wikimedia Enterprise compatibility: the names and shapes Enterprise's clients read."""
