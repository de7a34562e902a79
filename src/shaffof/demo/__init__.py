"""Demo data: realistic agencies, services, persons and cases, loaded through the domain services."""
