"""tamiyo-tui: inspect Tamiyo seed-lifecycle policies in the terminal.

Importing this package (and its ``domain``, ``rules`` and ``sim`` layers) never imports torch or
Textual, so the command line answers ``--help`` instantly and the TUI paints before torch loads.
"""

__version__ = "0.1.0"
