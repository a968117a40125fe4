-- The VMA's ETA (aggregate.eta_seconds, whole seconds) of the last written observation, for the API, page and CLI.
ALTER TABLE replication_jobs ADD eta_seconds INT NULL;
