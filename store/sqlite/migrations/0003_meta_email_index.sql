-- 0003: the secret-key check and an email index every email lookup can use.

-- meta holds values about the database itself. 'secret_key_check' is
-- store.SecretKeyCheck sealed with the key of the first Open; later Opens
-- refuse another key (store.ErrSecretKeyMismatch).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- The email index leads with email_key, so lookups within a connection and
-- the users-by-email list across connections both use it. The uniqueness
-- rule is unchanged.
DROP INDEX users_connection_email;
CREATE UNIQUE INDEX users_email_connection ON users (email_key, connection) WHERE email_key <> '';
