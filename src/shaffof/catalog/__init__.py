"""Catalog: agencies (a hierarchy of state bodies) and the services they offer (service packages)."""
