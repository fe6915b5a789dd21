"""Rendering: the state diagrams, the terminal timeline and summary, and the HTML report."""
