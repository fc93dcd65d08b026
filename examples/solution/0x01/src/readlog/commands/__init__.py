"""The subcommands, one module each: `NAME`, `add_arguments(parser)`, `run(args, store)`.

`readlog.cli` finds them with `pkgutil`; adding a command means adding a module here.
"""
