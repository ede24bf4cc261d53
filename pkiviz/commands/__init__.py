"""One module per ``pkiviz`` subcommand; see :mod:`pkiviz.cli`."""
