-- Failed passwords counted per username (as typed, whether or not it
-- exists) and client address, and for every address together ('*'); the
-- rule is irmer_store::accounts::decide_attempt. The counters on users
-- (a whole-row read-modify-write) are gone.
CREATE TABLE sign_in_attempts (
    username     TEXT    NOT NULL,
    address      TEXT    NOT NULL,
    failures     INTEGER NOT NULL,
    locks        INTEGER NOT NULL,
    locked_until TEXT,
    updated_at   TEXT    NOT NULL,
    PRIMARY KEY (username, address)
) STRICT;
CREATE INDEX sign_in_attempts_updated ON sign_in_attempts (updated_at);

ALTER TABLE users DROP COLUMN failed_attempts;
ALTER TABLE users DROP COLUMN locked_until;
