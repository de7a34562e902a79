"""Base registries (population, property, business): the single source of data the state already holds."""
