-- SQL Server only (binary collation of the key columns): this database already compares text byte for byte, so
-- 'Job-A' and 'job-a' are two keys here. The script exists so every provider has the same versions.
SELECT 1;
