"""Read models: what a screen, a command or a document shows, built from loaded records."""
