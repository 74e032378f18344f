-- Virtual keys (stored as keyed hashes only) and the spend ledger, shared by every instance.
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    alias TEXT,
    team TEXT,
    models TEXT NOT NULL,
    expires_at BIGINT,
    metadata TEXT NOT NULL,
    max_budget DOUBLE PRECISION,
    period TEXT NOT NULL,
    rpm BIGINT,
    tpm BIGINT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    previous_hash TEXT,
    previous_until BIGINT
);
CREATE INDEX IF NOT EXISTS keys_previous ON keys(previous_hash);

CREATE TABLE IF NOT EXISTS spend (
    row_id TEXT PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    key_id TEXT,
    team TEXT,
    model TEXT NOT NULL,
    deployment TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_usd DOUBLE PRECISION NOT NULL,
    latency_ms BIGINT NOT NULL,
    status INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spend_key_time ON spend(key_id, time_ms);
CREATE INDEX IF NOT EXISTS spend_team_time ON spend(team, time_ms);
CREATE INDEX IF NOT EXISTS spend_model_time ON spend(model, time_ms);
