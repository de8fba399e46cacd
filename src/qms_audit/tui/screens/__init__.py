"""The screens of the TUI: audit picker, audit checklist, dashboard, NC/CAPA register, help."""
