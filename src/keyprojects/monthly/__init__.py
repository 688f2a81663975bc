"""monthly: the 13710 platform's monthly dispatch.

Owns loading a month's progress exports and building the month's problems, deadlines and warnings
(``dispatch``; the models are in ``include/sql/models/monthly``).

May import: ``warehouse``, ``ingest`` and the top modules; not ``documents`` or ``operations``.
"""
