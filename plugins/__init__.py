"""Built-in plugins: business items (``plugins.items``) and city variants (``plugins.cities``).

They are registered through the ``shebao_sim`` entry-point group, exactly like
third-party plugins (see docs/hooks.md).
"""
