"""Use cases shared by the CLI and the TUI: each reads and writes records through the store."""
