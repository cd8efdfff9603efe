"""``python -m wikipact`` is the ``wikipact`` command."""

from wikipact.cli.main import main

main()
