"""The headless till engine: catalog, checks, payments, returns, shifts. No UI imports."""
