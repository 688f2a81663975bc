"""ingest: files as they arrive, read into rows.

Owns the readers (format detection, sheets, headers, cells), normalisation of values, the staging
columns, row validation (Great Expectations suites), loading one list of one quarter into its
partitions, and the inbox's arrivals.

May import: the top modules (``keyprojects``, ``settings``, ``config``, ``quarters``, ``db``).
Imported by every wing above it; imports none of them.
"""
