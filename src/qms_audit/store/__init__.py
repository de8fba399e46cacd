"""Persistence: record folders with a lock, a write-ahead journal and a hash-chained event log.

Nothing here imports a user interface; the CLI and the TUI both go through `RecordFolder.transaction`.
"""
