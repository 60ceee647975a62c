-- The schema of a bilan-server database at schema version 4 (issue 11's first part:
-- sealed operations without their sheet), as its migrations 1 to 4 made it. Used by
-- test_store_sqlite.c test_migrate_v4 to build an old database and open it with this server.
CREATE TABLE consultants (  id INTEGER PRIMARY KEY,  name TEXT NOT NULL UNIQUE,  created INTEGER NOT NULL);
CREATE TABLE devices (  fingerprint TEXT PRIMARY KEY,  sign_pub BLOB NOT NULL CHECK (length(sign_pub) = 32),  dh_pub BLOB NOT NULL CHECK (length(dh_pub) = 32),  role TEXT NOT NULL CHECK (role IN ('consultant', 'beneficiary')),  consultant_id INTEGER REFERENCES consultants(id),  name TEXT NOT NULL DEFAULT '',  created INTEGER NOT NULL,  CHECK ((role = 'consultant') = (consultant_id IS NOT NULL)));
CREATE INDEX devices_consultant ON devices(consultant_id);
CREATE TABLE enrol_tokens (  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),  consultant_id INTEGER NOT NULL REFERENCES consultants(id),  created INTEGER NOT NULL,  expires INTEGER NOT NULL,  used_by TEXT REFERENCES devices(fingerprint),  used_at INTEGER);
CREATE TABLE bilans (  id TEXT PRIMARY KEY,  label TEXT NOT NULL,  owner_id INTEGER NOT NULL REFERENCES consultants(id),  budget_s INTEGER NOT NULL,  created INTEGER NOT NULL, personal_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX bilans_owner ON bilans(owner_id);
CREATE TABLE invites (  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),  bilan_id TEXT NOT NULL REFERENCES bilans(id),  role TEXT NOT NULL CHECK (role IN ('consultant', 'beneficiary')),  created INTEGER NOT NULL,  expires INTEGER NOT NULL,  used_by TEXT REFERENCES devices(fingerprint),  used_at INTEGER);
CREATE TABLE bilan_members (  bilan_id TEXT NOT NULL REFERENCES bilans(id),  device TEXT NOT NULL REFERENCES devices(fingerprint),  role TEXT NOT NULL CHECK (role IN ('consultant', 'beneficiary')),  added INTEGER NOT NULL,  PRIMARY KEY (bilan_id, device));
CREATE INDEX bilan_members_device ON bilan_members(device);
CREATE TABLE settings (  key TEXT PRIMARY KEY,  value TEXT NOT NULL);
CREATE TABLE sessions (  id TEXT PRIMARY KEY,  bilan TEXT NOT NULL REFERENCES bilans(id),  phase TEXT NOT NULL CHECK (phase IN ('preliminaire', 'investigation', 'conclusion', 'suivi')),  opened_ms INTEGER NOT NULL,  closed_ms INTEGER,  close_reason TEXT, rules INTEGER, end_ms INTEGER, closed_in_journal INTEGER, face_to_face_ms INTEGER, interruptions INTEGER, record TEXT);
CREATE INDEX sessions_bilan ON sessions(bilan, opened_ms);
CREATE TABLE journal (  seq INTEGER PRIMARY KEY,  bilan TEXT NOT NULL REFERENCES bilans(id),  t_ms INTEGER NOT NULL,  event TEXT NOT NULL CHECK (event IN ('session_open', 'session_close', 'join', 'leave', 'lost',    'alive', 'personal')),  session TEXT REFERENCES sessions(id),  device TEXT,  role TEXT CHECK (role IS NULL OR role IN ('consultant', 'beneficiary')),  phase TEXT,  seconds INTEGER,  note TEXT);
CREATE INDEX journal_bilan ON journal(bilan, seq);
CREATE INDEX journal_session ON journal(session, seq);
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal   BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal   BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TABLE receipts (  session TEXT NOT NULL REFERENCES sessions(id),  device TEXT NOT NULL REFERENCES devices(fingerprint),  received_audio_ms INTEGER NOT NULL,  sas_verified INTEGER NOT NULL CHECK (sas_verified IN (0, 1)),  sig BLOB NOT NULL CHECK (length(sig) = 64),  stored_ms INTEGER NOT NULL,  PRIMARY KEY (session, device));
CREATE TABLE budget_warnings (  bilan TEXT NOT NULL REFERENCES bilans(id),  level INTEGER NOT NULL,  t_ms INTEGER NOT NULL,  PRIMARY KEY (bilan, level));
CREATE TABLE refusals (  session TEXT NOT NULL REFERENCES sessions(id),  device TEXT NOT NULL REFERENCES devices(fingerprint),  reason TEXT NOT NULL,  sig BLOB NOT NULL CHECK (length(sig) = 64),  stored_ms INTEGER NOT NULL,  PRIMARY KEY (session, device));
CREATE TRIGGER session_record_frozen BEFORE UPDATE OF record ON sessions   WHEN OLD.record IS NOT NULL   BEGIN SELECT RAISE(ABORT, 'a session record is never rewritten'); END;
CREATE TABLE sheet_ops (  bilan TEXT NOT NULL REFERENCES bilans(id),  seq INTEGER NOT NULL CHECK (seq >= 1),  op BLOB NOT NULL CHECK (length(op) = 16),  author TEXT NOT NULL,  sealed BLOB NOT NULL,  stored_ms INTEGER NOT NULL,  PRIMARY KEY (bilan, seq),  UNIQUE (bilan, op));

PRAGMA user_version = 4;
