"""One module per git hook, each with ``main(argv) -> int``."""
