-- The generation record. Portable SQL: SQLite and PostgreSQL run this file
-- as it is. Times are microseconds since the epoch.
CREATE TABLE generations (
	id               TEXT PRIMARY KEY,
	create_time      BIGINT NOT NULL,
	finish_time      BIGINT,
	heartbeat_at     BIGINT NOT NULL,
	caller           TEXT NOT NULL DEFAULT '',
	door             TEXT NOT NULL,
	intent           TEXT NOT NULL,
	format           TEXT NOT NULL DEFAULT '',
	target_path      TEXT NOT NULL DEFAULT '',
	environment      TEXT NOT NULL DEFAULT '',
	options          TEXT NOT NULL DEFAULT '{}',
	config_digest    TEXT NOT NULL DEFAULT '',
	workspace_digest TEXT NOT NULL DEFAULT '',
	provider         TEXT NOT NULL DEFAULT '',
	model            TEXT NOT NULL DEFAULT '',
	stage            TEXT NOT NULL DEFAULT '',
	summary          TEXT NOT NULL DEFAULT '',
	attempts         TEXT NOT NULL DEFAULT '[]',
	patch            TEXT NOT NULL DEFAULT '',
	valid            BOOLEAN NOT NULL DEFAULT FALSE,
	status           TEXT NOT NULL,
	error            TEXT NOT NULL DEFAULT ''
);

CREATE INDEX generations_by_time ON generations (create_time, id);

CREATE INDEX generations_running ON generations (status, heartbeat_at);

-- Signatures of accepted chat requests, so that a replayed body is refused
-- by every replica.
CREATE TABLE seen_requests (
	key        TEXT PRIMARY KEY,
	expires_at BIGINT NOT NULL
);
