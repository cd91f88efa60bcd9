"""One module per ``gitops-ml`` subcommand, each with ``main(args) -> int``."""
