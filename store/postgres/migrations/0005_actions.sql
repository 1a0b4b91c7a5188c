-- 0005: Auth0 Actions. store/sqlite/migrations/0005_actions.sql is the same
-- schema for SQLite; keep the two in step.
--
-- An action row holds the draft (and its build); a deploy snapshots the
-- built draft into an immutable action_versions row and points the action
-- at it. A trigger's flow is its action_bindings rows in position order.

CREATE TABLE actions (
    id                      text COLLATE "C" PRIMARY KEY,
    name                    text COLLATE "C" NOT NULL UNIQUE,
    -- [{"id","version"}].
    supported_triggers      jsonb NOT NULL DEFAULT '[]',
    code                    text NOT NULL,
    runtime                 text NOT NULL,
    -- [{"name","version"}].
    dependencies            jsonb NOT NULL DEFAULT '[]',
    -- [{"name","value","updated_at"}] as JSON, sealed (store.Sealer).
    secrets                 bytea NOT NULL,
    status                  text NOT NULL,
    build_error             text NOT NULL DEFAULT '',
    bundle                  text NOT NULL DEFAULT '',
    bundle_hash             text NOT NULL DEFAULT '',
    built_at                timestamptz,
    revision                bigint NOT NULL DEFAULT 0,
    deploy_when_built       boolean NOT NULL DEFAULT false,
    deployed_version_id     text NOT NULL DEFAULT '',
    deployed_version_number integer NOT NULL DEFAULT 0,
    all_changes_deployed    boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
);
CREATE INDEX actions_created_at ON actions (created_at, id);

CREATE TABLE action_versions (
    id                 text COLLATE "C" PRIMARY KEY,
    action_id          text COLLATE "C" NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    number             integer NOT NULL,
    code               text NOT NULL,
    runtime            text NOT NULL,
    supported_triggers jsonb NOT NULL DEFAULT '[]',
    dependencies       jsonb NOT NULL DEFAULT '[]',
    -- The action's secrets when the version was made, sealed as in actions.
    secrets            bytea NOT NULL,
    bundle             text NOT NULL,
    bundle_hash        text NOT NULL,
    built_at           timestamptz NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    UNIQUE (action_id, number)
);

CREATE TABLE action_bindings (
    id           text COLLATE "C" PRIMARY KEY,
    trigger_id   text COLLATE "C" NOT NULL,
    -- 0, 1, … in the order the flow runs.
    position     integer NOT NULL,
    action_id    text COLLATE "C" NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    UNIQUE (trigger_id, position),
    UNIQUE (trigger_id, action_id)
);
CREATE INDEX action_bindings_action_id ON action_bindings (action_id);

-- Executions are not configuration: they do not move config_version. They
-- expire after keyhook.ExecutionRetention (ExecutionCreate deletes them).
CREATE TABLE action_executions (
    id         text COLLATE "C" PRIMARY KEY,
    trigger_id text NOT NULL,
    status     text NOT NULL,
    -- [keyhook.ExecutionStep].
    steps      jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX action_executions_created_at ON action_executions (created_at);

-- The trigger chains cache actions, their deployed versions and the
-- bindings at a configuration version (0002).
CREATE TRIGGER actions_config_version AFTER INSERT OR UPDATE OR DELETE ON actions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER action_versions_config_version AFTER INSERT OR UPDATE OR DELETE ON action_versions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER action_bindings_config_version AFTER INSERT OR UPDATE OR DELETE ON action_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
