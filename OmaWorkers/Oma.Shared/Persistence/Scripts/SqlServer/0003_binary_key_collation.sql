-- Key columns compare byte for byte (Latin1_General_100_BIN2) whatever the database's default collation: under a
-- case-insensitive default, the jobs 'Job-A' and 'job-a' (two sagas by correlation id) collided on one row. The
-- binary order is also the ordinal order the store locks rows in. Indexes over a column are dropped and rebuilt
-- around its ALTER COLUMN.

ALTER TABLE dbo.replication_jobs DROP CONSTRAINT pk_replication_jobs;
ALTER TABLE dbo.replication_jobs ALTER COLUMN id VARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.replication_jobs ADD CONSTRAINT pk_replication_jobs PRIMARY KEY (id);

ALTER TABLE dbo.vm_disks DROP CONSTRAINT pk_vm_disks;
ALTER TABLE dbo.vm_disks ALTER COLUMN job_id VARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.vm_disks ALTER COLUMN disk_id VARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.vm_disks ADD CONSTRAINT pk_vm_disks PRIMARY KEY (job_id, disk_id);

DROP INDEX ux_cbt_history_job_id_disk_id ON dbo.cbt_history;
ALTER TABLE dbo.cbt_history ALTER COLUMN job_id VARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.cbt_history ALTER COLUMN disk_id VARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL;
CREATE UNIQUE INDEX ux_cbt_history_job_id_disk_id ON dbo.cbt_history (job_id, disk_id);

DROP INDEX ix_job_log_job_id ON dbo.job_log;
DROP INDEX ux_job_log_job_id_dedupe_key ON dbo.job_log;
ALTER TABLE dbo.job_log ALTER COLUMN job_id VARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL;
ALTER TABLE dbo.job_log ALTER COLUMN dedupe_key VARCHAR(255) COLLATE Latin1_General_100_BIN2 NULL;
CREATE INDEX ix_job_log_job_id ON dbo.job_log (job_id, id);
CREATE UNIQUE INDEX ux_job_log_job_id_dedupe_key ON dbo.job_log (job_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
