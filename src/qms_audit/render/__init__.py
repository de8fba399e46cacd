"""Documents: Word, Excel, charts and PDF, built from the views."""
