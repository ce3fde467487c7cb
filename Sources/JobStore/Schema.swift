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
        // 3: full-text search over prompts (history). FTS5 needs a rowid
        // and jobs has none, so prompt_index gives each job one; triggers
        // keep both in step with jobs. Without FTS5 (see `fullTextFallback`)
        // searches use LIKE instead.
        """
        CREATE TABLE prompt_index (n INTEGER PRIMARY KEY, job_id TEXT NOT NULL UNIQUE, prompt TEXT NOT NULL);
        CREATE VIRTUAL TABLE prompt_search USING fts5(
            prompt, content = 'prompt_index', content_rowid = 'n', tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER prompt_index_added AFTER INSERT ON prompt_index BEGIN
            INSERT INTO prompt_search (rowid, prompt) VALUES (new.n, new.prompt);
        END;
        CREATE TRIGGER prompt_index_removed AFTER DELETE ON prompt_index BEGIN
            INSERT INTO prompt_search (prompt_search, rowid, prompt) VALUES ('delete', old.n, old.prompt);
        END;
        CREATE TRIGGER jobs_prompt_added AFTER INSERT ON jobs BEGIN
            INSERT INTO prompt_index (job_id, prompt) VALUES (new.id, new.prompt);
        END;
        CREATE TRIGGER jobs_prompt_removed AFTER DELETE ON jobs BEGIN
            DELETE FROM prompt_index WHERE job_id = old.id;
        END;
        INSERT INTO prompt_index (job_id, prompt) SELECT id, prompt FROM jobs ORDER BY id;
        """,
        // 4: prompts are indexed in batches, not inside each submit: with a
        // trigger per insert (and a savepoint per operation, where FTS5
        // flushes), every submit writes an FTS segment, which a durable
        // submit pays for (BENCHMARKS.md, "Notes from profiles").
        // `JobStore.indexNewPrompts` catches up every `promptIndexBatch`
        // jobs and before every search.
        """
        DROP TRIGGER IF EXISTS jobs_prompt_added;
        """,
        // 5: queue-wide pauses (an upstream's Retry-After), so that a restart
        // inside one does not send what the upstream asked to wait for.
        // `scope` names what is paused ('upstream'; one per backend later),
        // `until` is in ms since 1970.
        """
        CREATE TABLE queue_pauses (
            scope TEXT PRIMARY KEY NOT NULL,
            until INTEGER NOT NULL,
            reason TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        // 6: how many of its chain's file hooks have run on a saved image,
        // so that a retry runs the ones that had not (a job succeeds only
        // once every hook did). Images saved before this count none: a
        // retry of a job that failed in a hook runs all of them.
        """
        ALTER TABLE images ADD COLUMN file_hooks_done INTEGER NOT NULL DEFAULT 0;
        """,
        // 7: the last 8 characters of each id (random, and what the editors
        // show as a job's short id), so a short id is a lookup, not a scan
        // of every id (`JobStore.resolve`). The expression must stay the one
        // the query uses.
        """
        CREATE INDEX jobs_by_id_ending ON jobs (substr(id, -8));
        """,
        // 8: the backend each job runs on, so that the dispatcher starts only
        // jobs whose backend has room (a paused or busy backend holds no
        // other's). Jobs from before ran on the one VisionCraft upstream.
        """
        ALTER TABLE jobs ADD COLUMN backend TEXT NOT NULL DEFAULT 'visioncraft';
        """,
        // 9: what each generation a backend answered cost: the images it
        // made and the time it took, for `usage.list` and the daily caps.
        // Kept when the job is deleted from the history. `day` is the local
        // date it was made on (YYYY-MM-DD), as the image folders are named.
        """
        CREATE TABLE usage (
            id INTEGER PRIMARY KEY,
            backend TEXT NOT NULL,
            job_id TEXT NOT NULL,
            day TEXT NOT NULL,
            at INTEGER NOT NULL,
            images INTEGER NOT NULL,
            milliseconds INTEGER NOT NULL
        );
        CREATE INDEX usage_by_backend_day ON usage (backend, day);
        """,
        // 10: the job a backend that answers with a remote job (ComfyUI's
        // prompt_id) made for an image's request, written before it is
        // followed, so that a restart follows it again instead of
        // submitting the request a second time.
        """
        ALTER TABLE images ADD COLUMN remote_id TEXT;
        """,
        // 11: what the backend itself reported a generation cost, beside
        // what the daemon counted and measured (`images`, `milliseconds`,
        // whose meaning stays): the tokens OpenAI's `usage` bills it in,
        // and the time the backend says it worked (ComfyUI's execution,
        // which leaves out the time a prompt waited in ComfyUI's queue).
        // Each is NULL when the backend did not say, never 0 or a guess:
        // dall-e models and local servers report no tokens, A1111 no time
        // (its request time, `milliseconds`, is the figure). The total is
        // kept as reported rather than summed here, for a server that
        // reports only one. Rows from before have NULL in all four.
        """
        ALTER TABLE usage ADD COLUMN input_tokens INTEGER;
        ALTER TABLE usage ADD COLUMN output_tokens INTEGER;
        ALTER TABLE usage ADD COLUMN total_tokens INTEGER;
        ALTER TABLE usage ADD COLUMN backend_milliseconds INTEGER;
        """,
    ]

    /// What migration 3 becomes where SQLite has no FTS5: nothing (the
    /// version still advances; searches use LIKE).
    static let fullTextFallback = (version: 3, sql: "SELECT 1")

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
            var sql = migrations[version]
            if version + 1 == fullTextFallback.version, !(try hasFullTextSearch(connection)) {
                sql = fullTextFallback.sql
            }
            try connection.transaction {
                try connection.execute(sql)
                try connection.execute("PRAGMA user_version = \(version + 1)")
            }
        }
    }

    /// Whether this SQLite has the FTS5 extension.
    static func hasFullTextSearch(_ connection: SQLiteConnection) throws -> Bool {
        try connection.statement("SELECT sqlite_compileoption_used('ENABLE_FTS5')").first { $0.int(0) } == 1
    }
}
