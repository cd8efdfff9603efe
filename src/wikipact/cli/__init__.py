"""The ``wikipact`` command line: thin typer commands over the library."""
