"""SOP drafts from Jinja2 templates, filled from the institution profile, and checks of the templates."""
