"""Pydantic types: the single source of truth for every document qms-audit reads or writes."""
