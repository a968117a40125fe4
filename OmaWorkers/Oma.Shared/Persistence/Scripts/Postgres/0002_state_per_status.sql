-- Each database status is a state of the replication saga now: a job of the former single "Active" state takes the
-- state of its status (Completed and Failed keep their names).
UPDATE replication_jobs SET saga_state = CASE status
    WHEN 'pending' THEN 'Pending'
    WHEN 'preparing' THEN 'Preparing'
    WHEN 'snapshotting' THEN 'Snapshotting'
    WHEN 'streaming' THEN 'Streaming'
    WHEN 'finalizing' THEN 'Finalizing'
    ELSE saga_state END
WHERE saga_state = 'Active';
