"""Conversation flows, one ComponentDialog per file, each with a Mermaid diagram beside it."""
