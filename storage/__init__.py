"""Persistence: the Store interface, its backends and the botbuilder state adapter."""
