-- 0002: a configuration version, bumped by the database on every change to
-- what the token endpoint and trigger chains cache (connections, clients,
-- resource servers, client grants, hooks, hook secrets), so every node can
-- validate its caches with one indexed read.
CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE TRIGGER connections_insert_config_version AFTER INSERT ON connections
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER connections_update_config_version AFTER UPDATE ON connections
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER connections_delete_config_version AFTER DELETE ON connections
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER clients_insert_config_version AFTER INSERT ON clients
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER clients_update_config_version AFTER UPDATE ON clients
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER clients_delete_config_version AFTER DELETE ON clients
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER resource_servers_insert_config_version AFTER INSERT ON resource_servers
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER resource_servers_update_config_version AFTER UPDATE ON resource_servers
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER resource_servers_delete_config_version AFTER DELETE ON resource_servers
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER client_grants_insert_config_version AFTER INSERT ON client_grants
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER client_grants_update_config_version AFTER UPDATE ON client_grants
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER client_grants_delete_config_version AFTER DELETE ON client_grants
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER hooks_insert_config_version AFTER INSERT ON hooks
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER hooks_update_config_version AFTER UPDATE ON hooks
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER hooks_delete_config_version AFTER DELETE ON hooks
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER hook_secrets_insert_config_version AFTER INSERT ON hook_secrets
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER hook_secrets_update_config_version AFTER UPDATE ON hook_secrets
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER hook_secrets_delete_config_version AFTER DELETE ON hook_secrets
BEGIN
    UPDATE config_version SET version = version + 1 WHERE id = 1;
END;
