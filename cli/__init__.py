"""`shopbot`, the command line: builds, data, evaluation, search, console accounts, running it all."""
