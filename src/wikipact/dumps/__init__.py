"""Everything that knows about XML and compression: dump files, multistream, site info."""

from wikipact.dumps.reader import Dump, Task, build_siteinfo, open_dump, read_pages

__all__ = ["Dump", "Task", "build_siteinfo", "open_dump", "read_pages"]
