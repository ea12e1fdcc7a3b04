"""The command line: one module per command, :mod:`engine.cli.main` puts them together."""
