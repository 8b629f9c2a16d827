"""The core: models, event interpretation and use cases. Pure Python and pydantic only."""
