-- What the job's vm_disks rows say, one hash per disk, as the saga last wrote them: an observation writes only the
-- disk rows whose figures changed (a streaming job moves one disk at a time).
ALTER TABLE dbo.replication_jobs ADD disk_digest VARCHAR(MAX) NULL;
