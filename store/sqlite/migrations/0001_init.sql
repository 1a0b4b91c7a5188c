-- keyhook schema, SQLite dialect. store/postgres/migrations/0001_init.sql is
-- the same schema for PostgreSQL; keep the two in step.
--
-- Times are TEXT in UTC, fixed width with microseconds
-- (2006-01-02T15:04:05.000000Z), so they sort lexically. JSON columns are
-- TEXT holding JSON. Booleans are INTEGER 0/1.

CREATE TABLE connections (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    strategy   TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    user_id             TEXT PRIMARY KEY,
    connection          TEXT NOT NULL,
    email               TEXT NOT NULL DEFAULT '',
    -- email folded to lower case by the application, so both backends fold
    -- the same way (SQLite's lower() knows ASCII only).
    email_key           TEXT NOT NULL DEFAULT '',
    email_verified      INTEGER NOT NULL DEFAULT 0,
    username            TEXT NOT NULL DEFAULT '',
    phone_number        TEXT NOT NULL DEFAULT '',
    phone_verified      INTEGER NOT NULL DEFAULT 0,
    given_name          TEXT NOT NULL DEFAULT '',
    family_name         TEXT NOT NULL DEFAULT '',
    name                TEXT NOT NULL DEFAULT '',
    nickname            TEXT NOT NULL DEFAULT '',
    picture             TEXT NOT NULL DEFAULT '',
    user_metadata       TEXT NOT NULL DEFAULT '{}',
    app_metadata        TEXT NOT NULL DEFAULT '{}',
    password_hash       TEXT NOT NULL DEFAULT '',
    blocked             INTEGER NOT NULL DEFAULT 0,
    last_ip             TEXT NOT NULL DEFAULT '',
    logins_count        INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    last_login          TEXT,
    last_password_reset TEXT
);
CREATE UNIQUE INDEX users_connection_email ON users (connection, email_key) WHERE email_key <> '';
CREATE UNIQUE INDEX users_connection_username ON users (connection, username) WHERE username <> '';
CREATE INDEX users_created_at ON users (created_at);

CREATE TABLE clients (
    client_id                  TEXT PRIMARY KEY,
    secret_hash                TEXT NOT NULL DEFAULT '',
    name                       TEXT NOT NULL DEFAULT '',
    description                TEXT NOT NULL DEFAULT '',
    app_type                   TEXT NOT NULL DEFAULT '',
    is_first_party             INTEGER NOT NULL DEFAULT 0,
    oidc_conformant            INTEGER NOT NULL DEFAULT 0,
    grant_types                TEXT NOT NULL DEFAULT '[]',
    callbacks                  TEXT NOT NULL DEFAULT '[]',
    allowed_origins            TEXT NOT NULL DEFAULT '[]',
    web_origins                TEXT NOT NULL DEFAULT '[]',
    allowed_logout_urls        TEXT NOT NULL DEFAULT '[]',
    token_endpoint_auth_method TEXT NOT NULL DEFAULT '',
    client_metadata            TEXT NOT NULL DEFAULT '{}',
    extra                      TEXT NOT NULL DEFAULT '{}',
    global                     INTEGER NOT NULL DEFAULT 0,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
);

CREATE TABLE resource_servers (
    id                      TEXT PRIMARY KEY,
    identifier              TEXT NOT NULL UNIQUE,
    name                    TEXT NOT NULL DEFAULT '',
    scopes                  TEXT NOT NULL DEFAULT '[]',
    signing_alg             TEXT NOT NULL DEFAULT '',
    token_lifetime          INTEGER NOT NULL DEFAULT 0,
    token_lifetime_for_web  INTEGER NOT NULL DEFAULT 0,
    allow_offline_access    INTEGER NOT NULL DEFAULT 0,
    skip_consent            INTEGER NOT NULL DEFAULT 0,
    token_dialect           TEXT NOT NULL DEFAULT '',
    enforce_policies        INTEGER NOT NULL DEFAULT 0,
    is_system               INTEGER NOT NULL DEFAULT 0,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);

CREATE TABLE client_grants (
    id                     TEXT PRIMARY KEY,
    client_id              TEXT NOT NULL,
    audience               TEXT NOT NULL,
    scope                  TEXT NOT NULL DEFAULT '[]',
    allow_any_organization INTEGER NOT NULL DEFAULT 0,
    organization_usage     TEXT NOT NULL DEFAULT '',
    subject_type           TEXT NOT NULL DEFAULT '',
    is_system              INTEGER NOT NULL DEFAULT 0,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    UNIQUE (client_id, audience)
);
CREATE INDEX client_grants_audience ON client_grants (audience);

CREATE TABLE hooks (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    script       TEXT NOT NULL,
    trigger_id   TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 0,
    dependencies TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
-- At most one enabled hook per trigger, enforced by the database so two
-- nodes racing to enable hooks cannot both win.
CREATE UNIQUE INDEX hooks_one_enabled_per_trigger ON hooks (trigger_id) WHERE enabled;

CREATE TABLE hook_secrets (
    hook_id TEXT PRIMARY KEY REFERENCES hooks (id) ON DELETE CASCADE,
    -- The whole name -> value map as JSON, sealed (store.Sealer).
    sealed  BLOB NOT NULL
);

CREATE TABLE logs (
    log_id        TEXT PRIMARY KEY,
    date          TEXT NOT NULL,
    type          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    connection    TEXT NOT NULL DEFAULT '',
    connection_id TEXT NOT NULL DEFAULT '',
    client_id     TEXT NOT NULL DEFAULT '',
    client_name   TEXT NOT NULL DEFAULT '',
    ip            TEXT NOT NULL DEFAULT '',
    hostname      TEXT NOT NULL DEFAULT '',
    user_id       TEXT NOT NULL DEFAULT '',
    user_name     TEXT NOT NULL DEFAULT '',
    audience      TEXT NOT NULL DEFAULT '',
    scope         TEXT NOT NULL DEFAULT '',
    strategy      TEXT NOT NULL DEFAULT '',
    strategy_type TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    details       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX logs_date ON logs (date, log_id);
CREATE INDEX logs_user_id ON logs (user_id, log_id);
CREATE INDEX logs_type ON logs (type, log_id);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    -- The PEM private key, sealed (store.Sealer).
    private_key BLOB NOT NULL,
    created_at  TEXT NOT NULL
);
