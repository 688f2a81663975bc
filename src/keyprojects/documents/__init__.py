"""documents: what the office reads, rendered from the warehouse.

Owns the shared workbook look (``look``) and file writing (``files``), and one module per document:
the bulletin (``bulletin`` with its sheets in ``bulletin_main`` and ``bulletin_sheets``), the
ranking workbook, the draft 通报 (``notice``), the 退回清单 (``returns``), the 13710 dispatch
workbook and the validation report. Python only reads and renders here; no figure is computed.

May import: ``warehouse``, ``ingest`` and the top modules; not ``monthly`` or ``operations``.
"""
