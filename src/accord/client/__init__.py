"""The researcher's side of Accord: ``accord fetch`` and ``accord manifest verify``.

Nothing here imports Django: it runs on a laptop with no settings and no database.
"""
