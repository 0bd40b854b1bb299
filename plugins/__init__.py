"""soporte's built-in plugins. Each is found through the ``soporte.plugins`` entry point group,
exactly like a third-party plugin; nothing here is imported by ``core``."""
