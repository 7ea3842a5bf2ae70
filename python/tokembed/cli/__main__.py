"""``python -m tokembed.cli``, as ``python -m tokembed``."""

from . import main

raise SystemExit(main())
