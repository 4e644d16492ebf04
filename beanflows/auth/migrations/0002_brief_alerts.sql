-- The weekly brief and subscriber alerts (docs/brief.md). Recipients are accounts with
-- newsletter = 1 (brief) or alerts_enabled = 1 (alerts) and a confirmed address.

-- The exactly-once log: one row per (message kind, what it is, recipient). A row is written
-- 'sending' before the SMTP transaction and 'sent' right after the server accepted it, so a
-- rerun or a resumed crash skips every 'sent' row.
CREATE TABLE mail_sends (
    kind TEXT NOT NULL CHECK (kind IN ('brief', 'alert')),
    ref TEXT NOT NULL,                        -- brief: the ISO week; alert: the alert event id
    email TEXT NOT NULL COLLATE NOCASE,
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    smtp_code INTEGER,
    detail TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, ref, email)
);

-- Permanent (5xx) refusals per address; at BEANFLOWS_MAIL_MAX_PERMANENT_FAILURES the
-- address gets no more mail until an admin clears its row.
CREATE TABLE mail_failures (
    email TEXT PRIMARY KEY COLLATE NOCASE,
    permanent_failures INTEGER NOT NULL DEFAULT 0,
    last_code INTEGER,
    last_detail TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

-- What a subscriber asked to be told about.
CREATE TABLE alert_rules (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('price_above', 'price_below', 'cot_extreme', 'frost',
                                       'usda_release')),
    price_us_cents_per_lb REAL,               -- price_above / price_below: Coffee C close
    region TEXT NOT NULL DEFAULT '',          -- frost: a region key (ingest/open_meteo/source.toml)
    evaluated INTEGER NOT NULL DEFAULT 0,     -- 1 after the first nightly evaluation
    created_at TEXT NOT NULL,
    UNIQUE (account_id, kind, price_us_cents_per_lb, region)
);
CREATE INDEX alert_rules_account ON alert_rules (account_id);

-- What fired (once per event: the UNIQUE key), and whether it was mailed. Events already
-- true at a rule's first evaluation are kept as 'baseline' (shown, not mailed).
CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY,
    rule_id INTEGER NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_key TEXT NOT NULL,                  -- e.g. 'above:2026-11-30' (the crossing day)
    data_date TEXT NOT NULL,                  -- the data day the event belongs to
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('baseline', 'pending', 'sent', 'skipped')),
    detected_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (rule_id, event_key)
);
CREATE INDEX alert_events_account ON alert_events (account_id, id);
