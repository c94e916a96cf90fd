"""Importers of contacts and events, one module per source format, sharing one pipeline
(validate every row, then write; dry run; a report of row errors by file and line).

The contact and event importers (``crm import contacts|events PATH``) arrive with their issue.
"""
