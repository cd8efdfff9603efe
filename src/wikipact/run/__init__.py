"""Executing work over dumps: tasks in local processes, ingest and parse jobs."""
