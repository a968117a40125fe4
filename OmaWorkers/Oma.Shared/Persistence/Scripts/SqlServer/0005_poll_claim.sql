-- At most one poll per job in flight across every scheduler and worker: the sweep claims a due job until
-- poll_claimed_until (the poll's queue wait plus its HTTP timeout) and the worker that polled releases the claim; a
-- claim whose worker died expires. last_poll_failed_at is the newest failed poll the saga counted, so a redelivered
-- failure is not counted twice.
ALTER TABLE dbo.replication_jobs ADD poll_claimed_until DATETIMEOFFSET(7) NULL, last_poll_failed_at DATETIMEOFFSET(7) NULL;
