-- 0004: brute-force protection and password policies.
--
-- login_failures counts the consecutive failed logins of one user from one IP
-- address; a success deletes the pair's row, and at a threshold the pair is
-- refused (Auth0's brute-force protection). Deleting a user deletes its rows.
CREATE TABLE login_failures (
    user_id    text COLLATE "C" NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    ip         text COLLATE "C" NOT NULL,
    identifier text NOT NULL,
    connection text NOT NULL,
    count      integer NOT NULL,
    first_at   timestamptz NOT NULL,
    last_at    timestamptz NOT NULL,
    PRIMARY KEY (user_id, ip)
);
CREATE INDEX login_failures_identifier ON login_failures (identifier);

-- A database connection's password policy (Auth0's options.passwordPolicy;
-- '' means good) and options.password_complexity_options.min_length (0 keeps
-- the policy's).
ALTER TABLE connections ADD COLUMN password_policy text NOT NULL DEFAULT '';
ALTER TABLE connections ADD COLUMN password_min_length integer NOT NULL DEFAULT 0;
