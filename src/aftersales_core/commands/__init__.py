"""Subcommands of the ``aftersales`` command, one module each (``register(subparsers)``)."""
