"""Site generation for dlref: execute Markdown notebooks and render them for MkDocs.

Not part of the ``dlref`` library (the library never knows about pages). The
MkDocs hook in :mod:`sitegen.hooks` and the command ``python -m sitegen`` both
use :mod:`sitegen.execute`, so a page executed by one is a cache hit for the other.
"""
