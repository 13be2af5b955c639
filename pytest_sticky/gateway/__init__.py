"""Gateway API: the HTTPRoute model with sessionPersistence, and its renderings."""
