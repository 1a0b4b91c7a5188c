-- 0005: Auth0 Actions. store/postgres/migrations/0005_actions.sql is the
-- same schema for PostgreSQL; keep the two in step.
--
-- An action row holds the draft (and its build); a deploy snapshots the
-- built draft into an immutable action_versions row and points the action
-- at it. A trigger's flow is its action_bindings rows in position order.

CREATE TABLE actions (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL UNIQUE,
    -- [{"id","version"}] as JSON.
    supported_triggers      TEXT NOT NULL DEFAULT '[]',
    code                    TEXT NOT NULL,
    runtime                 TEXT NOT NULL,
    -- [{"name","version"}] as JSON.
    dependencies            TEXT NOT NULL DEFAULT '[]',
    -- [{"name","value","updated_at"}] as JSON, sealed (store.Sealer).
    secrets                 BLOB NOT NULL,
    status                  TEXT NOT NULL,
    build_error             TEXT NOT NULL DEFAULT '',
    bundle                  TEXT NOT NULL DEFAULT '',
    bundle_hash             TEXT NOT NULL DEFAULT '',
    built_at                TEXT,
    revision                INTEGER NOT NULL DEFAULT 0,
    deploy_when_built       INTEGER NOT NULL DEFAULT 0,
    deployed_version_id     TEXT NOT NULL DEFAULT '',
    deployed_version_number INTEGER NOT NULL DEFAULT 0,
    all_changes_deployed    INTEGER NOT NULL DEFAULT 0,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);
CREATE INDEX actions_created_at ON actions (created_at, id);

CREATE TABLE action_versions (
    id                 TEXT PRIMARY KEY,
    action_id          TEXT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    number             INTEGER NOT NULL,
    code               TEXT NOT NULL,
    runtime            TEXT NOT NULL,
    supported_triggers TEXT NOT NULL DEFAULT '[]',
    dependencies       TEXT NOT NULL DEFAULT '[]',
    -- The action's secrets when the version was made, sealed as in actions.
    secrets            BLOB NOT NULL,
    bundle             TEXT NOT NULL,
    bundle_hash        TEXT NOT NULL,
    built_at           TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (action_id, number)
);

CREATE TABLE action_bindings (
    id           TEXT PRIMARY KEY,
    trigger_id   TEXT NOT NULL,
    -- 0, 1, … in the order the flow runs.
    position     INTEGER NOT NULL,
    action_id    TEXT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (trigger_id, position),
    UNIQUE (trigger_id, action_id)
);
CREATE INDEX action_bindings_action_id ON action_bindings (action_id);

-- Executions are not configuration: they do not move config_version. They
-- expire after keyhook.ExecutionRetention (ExecutionCreate deletes them).
CREATE TABLE action_executions (
    id         TEXT PRIMARY KEY,
    trigger_id TEXT NOT NULL,
    status     TEXT NOT NULL,
    -- [keyhook.ExecutionStep] as JSON.
    steps      TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX action_executions_created_at ON action_executions (created_at);

-- The trigger chains cache actions, their deployed versions and the
-- bindings at a configuration version (0002).
CREATE TRIGGER actions_insert_config_version AFTER INSERT ON actions
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER actions_update_config_version AFTER UPDATE ON actions
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER actions_delete_config_version AFTER DELETE ON actions
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER action_versions_insert_config_version AFTER INSERT ON action_versions
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER action_versions_update_config_version AFTER UPDATE ON action_versions
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER action_versions_delete_config_version AFTER DELETE ON action_versions
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER action_bindings_insert_config_version AFTER INSERT ON action_bindings
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER action_bindings_update_config_version AFTER UPDATE ON action_bindings
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER action_bindings_delete_config_version AFTER DELETE ON action_bindings
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
