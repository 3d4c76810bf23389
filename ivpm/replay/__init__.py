"""Answering a repeated run without redoing it.

A run that changed nothing (no file written, no process started, exit 0) leaves a record of
everything it read; the next run with the same command line, directory and environment checks
that record with stat calls only and, when nothing moved, prints what the first run printed
(or, for ``activate -c``, runs the same command) before loading ivpm's modules.
"""
