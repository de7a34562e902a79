"""Protocol machinery of the PKI (DER assembly, sealing, RFC 3161 structures); not a public API."""
