"""Bulk downloads: snapshots of a project's namespace and packaged dataset builds.

``registry`` keeps the list (in the store's database, SQLite or PostgreSQL), ``create`` writes
the files and ``ranges`` holds the pure helpers for serving them over HTTP (Range, ETag).
Nothing here imports a web framework.
"""
