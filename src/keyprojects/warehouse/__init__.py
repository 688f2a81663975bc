"""warehouse: the schema and the figures computed in it.

Owns the DDL and its migrations (``schema``, ``migrations``), the SQL model runner (``models``),
one project across the lists (``matching``), the year's ranking models (``ranking``) and the mart
checks (``mart_checks``). Every figure has its home in a SQL model of ``include/sql/models``.

May import: ``ingest`` and the top modules. Imports no documents, monthly or operations module.
"""
