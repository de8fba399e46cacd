"""Pure rules: scoring and what follows from records, with no disk, terminal or document library."""
