"""Widgets that render the domain models; they report upwards with typed messages."""
