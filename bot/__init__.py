"""The Teams edge and composition root: settings, app factory, adapter, handler, notifier, CLI."""
