"""The `review-bot` command line: one module per subcommand, wired together in `cli.main`."""
