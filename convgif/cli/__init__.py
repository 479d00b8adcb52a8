"""The command line: ``options`` (every option, once), ``parser`` (the commands as a table),
``commands`` (one short handler each) and ``main`` (the entry point: errors as one line)."""
