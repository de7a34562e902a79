"""The information mediator: agencies query base registries only through it (X-Road's role)."""
