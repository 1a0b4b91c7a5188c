-- keyhook schema, PostgreSQL dialect. store/sqlite/migrations/0001_init.sql is
-- the same schema for SQLite; keep the two in step.
--
-- Tables are created unqualified: Open sets search_path to the configured
-- schema. Text columns the application sorts by or compares by range are
-- COLLATE "C", so they order bytewise as in SQLite, whatever the database's
-- locale.

CREATE TABLE connections (
    id         text COLLATE "C" PRIMARY KEY,
    name       text COLLATE "C" NOT NULL UNIQUE,
    strategy   text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    user_id             text COLLATE "C" PRIMARY KEY,
    connection          text NOT NULL,
    email               text COLLATE "C" NOT NULL DEFAULT '',
    -- email folded to lower case by the application, so both backends fold
    -- the same way.
    email_key           text NOT NULL DEFAULT '',
    email_verified      boolean NOT NULL DEFAULT false,
    username            text NOT NULL DEFAULT '',
    phone_number        text NOT NULL DEFAULT '',
    phone_verified      boolean NOT NULL DEFAULT false,
    given_name          text NOT NULL DEFAULT '',
    family_name         text NOT NULL DEFAULT '',
    name                text COLLATE "C" NOT NULL DEFAULT '',
    nickname            text NOT NULL DEFAULT '',
    picture             text NOT NULL DEFAULT '',
    user_metadata       jsonb NOT NULL DEFAULT '{}',
    app_metadata        jsonb NOT NULL DEFAULT '{}',
    password_hash       text NOT NULL DEFAULT '',
    blocked             boolean NOT NULL DEFAULT false,
    last_ip             text NOT NULL DEFAULT '',
    logins_count        bigint NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    last_login          timestamptz,
    last_password_reset timestamptz
);
CREATE UNIQUE INDEX users_connection_email ON users (connection, email_key) WHERE email_key <> '';
CREATE UNIQUE INDEX users_connection_username ON users (connection, username) WHERE username <> '';
CREATE INDEX users_created_at ON users (created_at);

CREATE TABLE clients (
    client_id                  text COLLATE "C" PRIMARY KEY,
    secret_hash                text NOT NULL DEFAULT '',
    name                       text NOT NULL DEFAULT '',
    description                text NOT NULL DEFAULT '',
    app_type                   text NOT NULL DEFAULT '',
    is_first_party             boolean NOT NULL DEFAULT false,
    oidc_conformant            boolean NOT NULL DEFAULT false,
    grant_types                jsonb NOT NULL DEFAULT '[]',
    callbacks                  jsonb NOT NULL DEFAULT '[]',
    allowed_origins            jsonb NOT NULL DEFAULT '[]',
    web_origins                jsonb NOT NULL DEFAULT '[]',
    allowed_logout_urls        jsonb NOT NULL DEFAULT '[]',
    token_endpoint_auth_method text NOT NULL DEFAULT '',
    client_metadata            jsonb NOT NULL DEFAULT '{}',
    extra                      jsonb NOT NULL DEFAULT '{}',
    global                     boolean NOT NULL DEFAULT false,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);

CREATE TABLE resource_servers (
    id                      text COLLATE "C" PRIMARY KEY,
    identifier              text NOT NULL UNIQUE,
    name                    text NOT NULL DEFAULT '',
    scopes                  jsonb NOT NULL DEFAULT '[]',
    signing_alg             text NOT NULL DEFAULT '',
    token_lifetime          integer NOT NULL DEFAULT 0,
    token_lifetime_for_web  integer NOT NULL DEFAULT 0,
    allow_offline_access    boolean NOT NULL DEFAULT false,
    skip_consent            boolean NOT NULL DEFAULT false,
    token_dialect           text NOT NULL DEFAULT '',
    enforce_policies        boolean NOT NULL DEFAULT false,
    is_system               boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
);

CREATE TABLE client_grants (
    id                     text COLLATE "C" PRIMARY KEY,
    client_id              text NOT NULL,
    audience               text NOT NULL,
    scope                  jsonb NOT NULL DEFAULT '[]',
    allow_any_organization boolean NOT NULL DEFAULT false,
    organization_usage     text NOT NULL DEFAULT '',
    subject_type           text NOT NULL DEFAULT '',
    is_system              boolean NOT NULL DEFAULT false,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    UNIQUE (client_id, audience)
);
CREATE INDEX client_grants_audience ON client_grants (audience);

CREATE TABLE hooks (
    id           text COLLATE "C" PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    script       text NOT NULL,
    trigger_id   text NOT NULL,
    enabled      boolean NOT NULL DEFAULT false,
    dependencies jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
-- At most one enabled hook per trigger, enforced by the database so two
-- nodes racing to enable hooks cannot both win.
CREATE UNIQUE INDEX hooks_one_enabled_per_trigger ON hooks (trigger_id) WHERE enabled;

CREATE TABLE hook_secrets (
    hook_id text PRIMARY KEY REFERENCES hooks (id) ON DELETE CASCADE,
    -- The whole name -> value map as JSON, sealed (store.Sealer).
    sealed  bytea NOT NULL
);

CREATE TABLE logs (
    log_id        text COLLATE "C" PRIMARY KEY,
    date          timestamptz NOT NULL,
    type          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    connection    text NOT NULL DEFAULT '',
    connection_id text NOT NULL DEFAULT '',
    client_id     text NOT NULL DEFAULT '',
    client_name   text NOT NULL DEFAULT '',
    ip            text NOT NULL DEFAULT '',
    hostname      text NOT NULL DEFAULT '',
    user_id       text NOT NULL DEFAULT '',
    user_name     text NOT NULL DEFAULT '',
    audience      text NOT NULL DEFAULT '',
    scope         text NOT NULL DEFAULT '',
    strategy      text NOT NULL DEFAULT '',
    strategy_type text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT '',
    details       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX logs_date ON logs (date, log_id);
CREATE INDEX logs_user_id ON logs (user_id, log_id);
CREATE INDEX logs_type ON logs (type, log_id);

CREATE TABLE signing_keys (
    kid         text COLLATE "C" PRIMARY KEY,
    -- The PEM private key, sealed (store.Sealer).
    private_key bytea NOT NULL,
    created_at  timestamptz NOT NULL
);
