"""operations: what engineers watch.

Owns alerts (``alerts``), the run and load history (``history``), the inbox watcher (``watch``) and
the status report (``status``).

May import: ``warehouse``, ``ingest`` and the top modules; not ``documents`` or ``monthly``.
"""
