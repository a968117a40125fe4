-- No foreign keys from the side tables: a saga step may write its JobLog or disk rows before the job row it belongs
-- to is inserted (the row is inserted after the step succeeded).

CREATE TABLE replication_jobs (
    id                        VARCHAR(255)   NOT NULL PRIMARY KEY,
    correlation_id            UUID           NOT NULL,
    saga_state                VARCHAR(64)    NOT NULL,
    status                    VARCHAR(50)    NOT NULL,
    current_operation         VARCHAR(255)   NULL,
    progress_percent          DECIMAL(5,2)   NOT NULL DEFAULT 0,
    bytes_transferred         BIGINT         NOT NULL DEFAULT 0,
    total_bytes               BIGINT         NOT NULL DEFAULT 0,
    transfer_speed_bps        BIGINT         NOT NULL DEFAULT 0,
    error_message             TEXT           NULL,
    vma_url                   VARCHAR(2048)  NOT NULL,
    vm_name                   VARCHAR(255)   NOT NULL,
    vm_ref_kind               VARCHAR(16)    NOT NULL,
    requested_sync_type       VARCHAR(16)    NOT NULL,
    sync_type                 VARCHAR(16)    NULL,
    target_json               TEXT           NULL,
    previous_change_ids_json  TEXT           NULL,
    created_at                TIMESTAMPTZ    NOT NULL,
    updated_at                TIMESTAMPTZ    NOT NULL,
    started_at                TIMESTAMPTZ    NULL,
    completed_at              TIMESTAMPTZ    NULL,
    last_contact_at           TIMESTAMPTZ    NULL,
    last_vma_update_at        TIMESTAMPTZ    NULL,
    next_poll_at              TIMESTAMPTZ    NULL,
    consecutive_poll_failures INTEGER        NOT NULL DEFAULT 0,
    contact_timeout_token_id  UUID           NULL,
    version                   INTEGER        NOT NULL DEFAULT 0
);

CREATE UNIQUE INDEX ux_replication_jobs_correlation_id ON replication_jobs (correlation_id);
CREATE INDEX ix_replication_jobs_status ON replication_jobs (status);
CREATE INDEX ix_replication_jobs_updated_at ON replication_jobs (updated_at);
CREATE INDEX ix_replication_jobs_created_at ON replication_jobs (created_at);
CREATE INDEX ix_replication_jobs_status_next_poll_at ON replication_jobs (status, next_poll_at);
CREATE INDEX ix_replication_jobs_vm_name ON replication_jobs (vm_name);

CREATE TABLE vm_disks (
    job_id                VARCHAR(255)  NOT NULL,
    disk_id               VARCHAR(255)  NOT NULL,
    label                 VARCHAR(255)  NULL,
    sync_status           VARCHAR(50)   NOT NULL,
    sync_progress_percent DECIMAL(5,2)  NOT NULL DEFAULT 0,
    bytes_synced          BIGINT        NOT NULL DEFAULT 0,
    planned_bytes         BIGINT        NOT NULL DEFAULT 0,
    disk_change_id        VARCHAR(255)  NULL,
    updated_at            TIMESTAMPTZ   NOT NULL,
    PRIMARY KEY (job_id, disk_id)
);

CREATE INDEX ix_vm_disks_sync_status ON vm_disks (sync_status);
CREATE INDEX ix_vm_disks_updated_at ON vm_disks (updated_at);

CREATE TABLE cbt_history (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id                VARCHAR(255)  NOT NULL,
    disk_id               VARCHAR(255)  NOT NULL,
    change_id             VARCHAR(255)  NULL,
    previous_change_id    VARCHAR(255)  NULL,
    sync_type             VARCHAR(50)   NOT NULL,
    blocks_changed        INT           NULL,
    bytes_transferred     BIGINT        NOT NULL DEFAULT 0,
    sync_duration_seconds INT           NOT NULL DEFAULT 0,
    sync_success          BOOLEAN       NOT NULL,
    created_at            TIMESTAMPTZ   NOT NULL
);

CREATE UNIQUE INDEX ux_cbt_history_job_id_disk_id ON cbt_history (job_id, disk_id);
CREATE INDEX ix_cbt_history_created_at ON cbt_history (created_at);

CREATE TABLE job_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id         VARCHAR(255)  NOT NULL,
    correlation_id UUID          NOT NULL,
    logged_at      TIMESTAMPTZ   NOT NULL,
    level          VARCHAR(16)   NOT NULL,
    event_kind     VARCHAR(50)   NOT NULL,
    message        TEXT          NOT NULL,
    dedupe_key     VARCHAR(255)  NULL
);

CREATE INDEX ix_job_log_job_id ON job_log (job_id, id);
CREATE UNIQUE INDEX ux_job_log_job_id_dedupe_key ON job_log (job_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
