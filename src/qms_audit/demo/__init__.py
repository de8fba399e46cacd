"""Sample workspaces and portfolios for trying the tool and for benchmarks (imported only on demand)."""
