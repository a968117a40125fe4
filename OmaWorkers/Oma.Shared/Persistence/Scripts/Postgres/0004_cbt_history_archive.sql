-- cbt_history rows past their retention move here (Cli archive), so the live table the saga writes and the monitoring
-- queries read stays small. Same columns; id is the live row's id (no identity), so a row is moved, never copied twice.
CREATE TABLE cbt_history_archive (
    id                    BIGINT        NOT NULL PRIMARY KEY,
    job_id                VARCHAR(255)  NOT NULL,
    disk_id               VARCHAR(255)  NOT NULL,
    change_id             VARCHAR(255)  NULL,
    previous_change_id    VARCHAR(255)  NULL,
    sync_type             VARCHAR(50)   NOT NULL,
    blocks_changed        INT           NULL,
    bytes_transferred     BIGINT        NOT NULL DEFAULT 0,
    sync_duration_seconds INT           NOT NULL DEFAULT 0,
    sync_success          BOOLEAN       NOT NULL,
    created_at            TIMESTAMPTZ   NOT NULL,
    archived_at           TIMESTAMPTZ   NOT NULL
);

CREATE INDEX ix_cbt_history_archive_job_id_disk_id ON cbt_history_archive (job_id, disk_id);
CREATE INDEX ix_cbt_history_archive_created_at ON cbt_history_archive (created_at);
