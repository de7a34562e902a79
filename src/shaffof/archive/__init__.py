"""Archive: the content-addressed blob store for documents (retention and export come later)."""
