"""Ledger: the RFC 9162 Merkle log of every case event, its signed checkpoints, proofs and receipts."""
