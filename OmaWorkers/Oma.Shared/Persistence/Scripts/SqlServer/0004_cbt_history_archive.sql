-- cbt_history rows past their retention move here (Cli archive), so the live table the saga writes and the monitoring
-- queries read stays small. Same columns; id is the live row's id (no identity), so a row is moved, never copied twice.
-- Key columns compare byte for byte, as in the live table (0003).
CREATE TABLE dbo.cbt_history_archive (
    id                    BIGINT               NOT NULL CONSTRAINT pk_cbt_history_archive PRIMARY KEY,
    job_id                VARCHAR(255)         COLLATE Latin1_General_100_BIN2 NOT NULL,
    disk_id               VARCHAR(255)         COLLATE Latin1_General_100_BIN2 NOT NULL,
    change_id             VARCHAR(255)         NULL,
    previous_change_id    VARCHAR(255)         NULL,
    sync_type             VARCHAR(50)          NOT NULL,
    blocks_changed        INT                  NULL,
    bytes_transferred     BIGINT               NOT NULL CONSTRAINT df_cbt_history_archive_bytes_transferred DEFAULT 0,
    sync_duration_seconds INT                  NOT NULL CONSTRAINT df_cbt_history_archive_sync_duration_seconds DEFAULT 0,
    sync_success          BIT                  NOT NULL,
    created_at            DATETIMEOFFSET(7)    NOT NULL,
    archived_at           DATETIMEOFFSET(7)    NOT NULL
);

CREATE INDEX ix_cbt_history_archive_job_id_disk_id ON dbo.cbt_history_archive (job_id, disk_id);
CREATE INDEX ix_cbt_history_archive_created_at ON dbo.cbt_history_archive (created_at);
