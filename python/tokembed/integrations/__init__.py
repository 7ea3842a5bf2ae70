"""Integrations with other frameworks, each imported only when asked for (``tokembed.integrations.ray``,
also importable as ``tokembed.ray``), so that ``import tokembed`` never imports them."""
