"""Plumbing every layer may use: loading files, paths, the clock, identity, errors, exit codes."""
