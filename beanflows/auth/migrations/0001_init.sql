-- Accounts service schema v1. Times are ISO-8601 UTC text ("2026-12-01T21:50:42Z") unless
-- the column name ends in _epoch (Unix seconds, compared as numbers).

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,                 -- opaque id sent to Paddle as custom_data
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    status TEXT NOT NULL CHECK (status IN ('unconfirmed', 'waitlist', 'active')),
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    admitted_at TEXT,
    last_login_at TEXT,
    plan_override TEXT CHECK (plan_override IN ('free', 'starter', 'pro')),
    paddle_customer_id TEXT UNIQUE,
    newsletter INTEGER NOT NULL DEFAULT 0,
    alerts_enabled INTEGER NOT NULL DEFAULT 0,
    alerts_datasets TEXT NOT NULL DEFAULT ''  -- comma-separated dataset names
);

-- One-time links: confirm (double opt-in) and login. Only the SHA-256 of the link is stored.
CREATE TABLE links (
    hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('confirm', 'login')),
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_epoch INTEGER NOT NULL,
    used_epoch INTEGER
);

CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,                    -- SHA-256 of the cookie value
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    issued_epoch INTEGER NOT NULL,            -- rotated (new value) every hour of use
    expires_epoch INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,                     -- first characters, shown to tell keys apart
    hash TEXT NOT NULL UNIQUE,                -- SHA-256 hex of the whole key
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE customers (                      -- Paddle customers seen in events or the API
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,                      -- Paddle's sub_...
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    customer_id TEXT,
    status TEXT NOT NULL,
    plan TEXT NOT NULL CHECK (plan IN ('free', 'starter', 'pro')),
    renews_at TEXT,
    period_ends_at TEXT,
    scheduled_change TEXT,
    occurred_at TEXT NOT NULL,                -- of the newest event applied
    updated_at TEXT NOT NULL
);
CREATE INDEX subscriptions_account ON subscriptions (account_id);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id);

CREATE TABLE webhook_events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    outcome TEXT NOT NULL,                    -- applied | stale | ignored | unmatched
    detail TEXT NOT NULL DEFAULT ''
);

CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    email TEXT NOT NULL DEFAULT '',
    page TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
);
