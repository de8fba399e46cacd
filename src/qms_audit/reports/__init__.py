"""Documents built from the records: the Word audit report, Excel workbooks, charts and the PDF."""
