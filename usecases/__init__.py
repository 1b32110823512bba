"""The use cases: the application's verbs, free of the Teams SDK and of aiohttp."""
