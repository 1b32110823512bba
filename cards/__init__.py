"""Pure functions from domain models to Adaptive Card 1.5 JSON."""
