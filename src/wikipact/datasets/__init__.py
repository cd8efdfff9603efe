"""AI-ready datasets: filter, deduplicate, tokenise and shard articles with a card and manifest.

The pipeline (``build.py``) runs these steps, each a module of its own: ``sources`` (articles
from dumps or a store), ``filters``, ``tokens``, ``dedup``, ``splits``, ``sinks``, ``card`` and
``manifest``; ``signing`` and ``verify`` guard what was written.
"""
