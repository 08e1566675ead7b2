"""SQL adapters: models, repositories, the unit of work and migrations."""
