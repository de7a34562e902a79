"""Open311 GeoReport v2: citizens' requests about local issues, from any Open311 client, as Shaffof appeals."""
