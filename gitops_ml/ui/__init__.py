"""Output for people and machines: terminal and Markdown tables, strict JSON, progress bars,
the error handler (one line and an exit code). Functions of plain data; imports only
``core``.
"""
