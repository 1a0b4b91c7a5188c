-- 0002: a configuration version, bumped by the database on every change to
-- what the token endpoint and trigger chains cache (connections, clients,
-- resource servers, client grants, hooks, hook secrets), so every node can
-- validate its caches with one indexed read.
CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE FUNCTION bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER connections_config_version AFTER INSERT OR UPDATE OR DELETE ON connections
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER clients_config_version AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER resource_servers_config_version AFTER INSERT OR UPDATE OR DELETE ON resource_servers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER client_grants_config_version AFTER INSERT OR UPDATE OR DELETE ON client_grants
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER hooks_config_version AFTER INSERT OR UPDATE OR DELETE ON hooks
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER hook_secrets_config_version AFTER INSERT OR UPDATE OR DELETE ON hook_secrets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_config_version();
