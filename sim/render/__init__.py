"""Rendering: the state diagrams, and (later) the terminal timeline and the HTML report."""
