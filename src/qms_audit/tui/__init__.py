"""The auditor's terminal interface (Textual). Only this package imports textual."""
