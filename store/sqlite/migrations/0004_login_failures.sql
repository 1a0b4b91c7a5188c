-- 0004: brute-force protection and password policies.
--
-- login_failures counts the consecutive failed logins of one user from one IP
-- address; a success deletes the pair's row, and at a threshold the pair is
-- refused (Auth0's brute-force protection). Deleting a user deletes its rows.
CREATE TABLE login_failures (
    user_id    TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    ip         TEXT NOT NULL,
    identifier TEXT NOT NULL,
    connection TEXT NOT NULL,
    count      INTEGER NOT NULL,
    first_at   TEXT NOT NULL,
    last_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, ip)
);
CREATE INDEX login_failures_identifier ON login_failures (identifier);

-- A database connection's password policy (Auth0's options.passwordPolicy;
-- '' means good) and options.password_complexity_options.min_length (0 keeps
-- the policy's).
ALTER TABLE connections ADD COLUMN password_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN password_min_length INTEGER NOT NULL DEFAULT 0;
