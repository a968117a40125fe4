-- The seed's TEXT and BOOLEAN are NVARCHAR(MAX) and BIT here: SQL Server's TEXT type is deprecated and cannot be
-- compared or grouped, and SQL Server has no BOOLEAN. Free text a user typed (VM names, labels, messages) is
-- NVARCHAR. No foreign keys from the side tables: a saga step may write its JobLog or disk rows before the job row
-- it belongs to is inserted (the row is inserted after the step succeeded).

CREATE TABLE dbo.replication_jobs (
    id                        VARCHAR(255)       NOT NULL CONSTRAINT pk_replication_jobs PRIMARY KEY,
    correlation_id            UNIQUEIDENTIFIER   NOT NULL,
    saga_state                VARCHAR(64)        NOT NULL,
    status                    VARCHAR(50)        NOT NULL,
    current_operation         VARCHAR(255)       NULL,
    progress_percent          DECIMAL(5,2)       NOT NULL CONSTRAINT df_replication_jobs_progress_percent DEFAULT 0,
    bytes_transferred         BIGINT             NOT NULL CONSTRAINT df_replication_jobs_bytes_transferred DEFAULT 0,
    total_bytes               BIGINT             NOT NULL CONSTRAINT df_replication_jobs_total_bytes DEFAULT 0,
    transfer_speed_bps        BIGINT             NOT NULL CONSTRAINT df_replication_jobs_transfer_speed_bps DEFAULT 0,
    error_message             NVARCHAR(MAX)      NULL,
    vma_url                   VARCHAR(2048)      NOT NULL,
    vm_name                   NVARCHAR(255)      NOT NULL,
    vm_ref_kind               VARCHAR(16)        NOT NULL,
    requested_sync_type       VARCHAR(16)        NOT NULL,
    sync_type                 VARCHAR(16)        NULL,
    target_json               NVARCHAR(MAX)      NULL,
    previous_change_ids_json  NVARCHAR(MAX)      NULL,
    created_at                DATETIMEOFFSET(7)  NOT NULL,
    updated_at                DATETIMEOFFSET(7)  NOT NULL,
    started_at                DATETIMEOFFSET(7)  NULL,
    completed_at              DATETIMEOFFSET(7)  NULL,
    last_contact_at           DATETIMEOFFSET(7)  NULL,
    last_vma_update_at        DATETIMEOFFSET(7)  NULL,
    next_poll_at              DATETIMEOFFSET(7)  NULL,
    consecutive_poll_failures INT                NOT NULL CONSTRAINT df_replication_jobs_consecutive_poll_failures DEFAULT 0,
    contact_timeout_token_id  UNIQUEIDENTIFIER   NULL,
    version                   INT                NOT NULL CONSTRAINT df_replication_jobs_version DEFAULT 0
);

CREATE UNIQUE INDEX ux_replication_jobs_correlation_id ON dbo.replication_jobs (correlation_id);
CREATE INDEX ix_replication_jobs_status ON dbo.replication_jobs (status);
CREATE INDEX ix_replication_jobs_updated_at ON dbo.replication_jobs (updated_at);
CREATE INDEX ix_replication_jobs_created_at ON dbo.replication_jobs (created_at);
CREATE INDEX ix_replication_jobs_status_next_poll_at ON dbo.replication_jobs (status, next_poll_at) INCLUDE (vma_url);
CREATE INDEX ix_replication_jobs_vm_name ON dbo.replication_jobs (vm_name);

CREATE TABLE dbo.vm_disks (
    job_id                VARCHAR(255)       NOT NULL,
    disk_id               VARCHAR(255)       NOT NULL,
    label                 NVARCHAR(255)      NULL,
    sync_status           VARCHAR(50)        NOT NULL,
    sync_progress_percent DECIMAL(5,2)       NOT NULL CONSTRAINT df_vm_disks_sync_progress_percent DEFAULT 0,
    bytes_synced          BIGINT             NOT NULL CONSTRAINT df_vm_disks_bytes_synced DEFAULT 0,
    planned_bytes         BIGINT             NOT NULL CONSTRAINT df_vm_disks_planned_bytes DEFAULT 0,
    disk_change_id        VARCHAR(255)       NULL,
    updated_at            DATETIMEOFFSET(7)  NOT NULL,
    CONSTRAINT pk_vm_disks PRIMARY KEY (job_id, disk_id)
);

CREATE INDEX ix_vm_disks_sync_status ON dbo.vm_disks (sync_status);
CREATE INDEX ix_vm_disks_updated_at ON dbo.vm_disks (updated_at);

CREATE TABLE dbo.cbt_history (
    id                    BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT pk_cbt_history PRIMARY KEY,
    job_id                VARCHAR(255)         NOT NULL,
    disk_id               VARCHAR(255)         NOT NULL,
    change_id             VARCHAR(255)         NULL,
    previous_change_id    VARCHAR(255)         NULL,
    sync_type             VARCHAR(50)          NOT NULL,
    blocks_changed        INT                  NULL,
    bytes_transferred     BIGINT               NOT NULL CONSTRAINT df_cbt_history_bytes_transferred DEFAULT 0,
    sync_duration_seconds INT                  NOT NULL CONSTRAINT df_cbt_history_sync_duration_seconds DEFAULT 0,
    sync_success          BIT                  NOT NULL,
    created_at            DATETIMEOFFSET(7)    NOT NULL
);

CREATE UNIQUE INDEX ux_cbt_history_job_id_disk_id ON dbo.cbt_history (job_id, disk_id);
CREATE INDEX ix_cbt_history_created_at ON dbo.cbt_history (created_at);

CREATE TABLE dbo.job_log (
    id             BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT pk_job_log PRIMARY KEY,
    job_id         VARCHAR(255)         NOT NULL,
    correlation_id UNIQUEIDENTIFIER     NOT NULL,
    logged_at      DATETIMEOFFSET(7)    NOT NULL,
    level          VARCHAR(16)          NOT NULL,
    event_kind     VARCHAR(50)          NOT NULL,
    message        NVARCHAR(MAX)        NOT NULL,
    dedupe_key     VARCHAR(255)         NULL
);

CREATE INDEX ix_job_log_job_id ON dbo.job_log (job_id, id);
CREATE UNIQUE INDEX ux_job_log_job_id_dedupe_key ON dbo.job_log (job_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
