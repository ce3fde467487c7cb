/// The database schema, as numbered migrations. `PRAGMA user_version` holds
/// the number applied; each migration runs once, in its own transaction.
/// Never edit a migration that has shipped: add the next one.
enum Schema {
    static let migrations: [String] = [
        // 1: jobs, their labels and their images.
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
            priority INTEGER NOT NULL DEFAULT 0,
            params TEXT NOT NULL,
            prompt TEXT NOT NULL,
            output_dir TEXT,
            idempotency_key TEXT UNIQUE,
            image_count INTEGER NOT NULL CHECK (image_count BETWEEN 1 AND 100),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            error_kind TEXT,
            error_message TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX jobs_by_state ON jobs (state, priority DESC, id);
        CREATE TABLE job_labels (
            label TEXT NOT NULL,
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            PRIMARY KEY (label, job_id)
        ) WITHOUT ROWID;
        CREATE INDEX job_labels_by_job ON job_labels (job_id);
        CREATE TABLE images (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            request INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'generated', 'saved', 'failed')),
            url TEXT,
            path TEXT,
            error TEXT,
            PRIMARY KEY (job_id, idx)
        ) WITHOUT ROWID;
        """,
        // 2: indexes for what the queue asks most: jobs of a state newest
        // first (job.list), and the next retry time (the dispatcher, on
        // every change) without scanning the queue.
        """
        CREATE INDEX jobs_by_state_newest ON jobs (state, id);
        CREATE INDEX jobs_by_retry ON jobs (next_attempt_at) WHERE state = 'queued' AND next_attempt_at IS NOT NULL;
        """,
    ]

    /// Brings the database to the latest version.
    ///
    /// - Throws: `JobStoreError.newerSchema` for a database written by a newer
    ///   visioncraftd (never downgraded), or the SQLite failure.
    static func migrate(_ connection: SQLiteConnection) throws {
        let current = try connection.userVersion
        guard current <= migrations.count else {
            throw JobStoreError.newerSchema(found: current, known: migrations.count, path: connection.path)
        }
        for version in current..<migrations.count {
            try connection.transaction {
                try connection.execute(migrations[version])
                try connection.execute("PRAGMA user_version = \(version + 1)")
            }
        }
    }
}
