-- Token buckets of the per-caller generation rate, shared by every replica
-- on the same database (Store.Take). Times are microseconds since the epoch.
CREATE TABLE rate_buckets (
	key        TEXT PRIMARY KEY,
	tokens     DOUBLE PRECISION NOT NULL,
	updated_at BIGINT NOT NULL
);

CREATE INDEX rate_buckets_by_time ON rate_buckets (updated_at);
