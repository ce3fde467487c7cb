import Jobs
import Posix

/// The job queue's operations on one connection. Not thread-safe: it lives on
/// the `JobStoreWorker`'s thread, which runs every operation inside a
/// transaction (several operations share one commit).
public final class JobStore {
    public let connection: SQLiteConnection
    /// Whether prompts have a full-text index (SQLite with FTS5); else
    /// searches use LIKE.
    public let hasFullTextIndex: Bool

    /// Jobs created since the prompt index last caught up (an upper bound:
    /// rolled-back inserts count too). It starts at a full batch, so the
    /// first commit after opening indexes what the last run left behind.
    public private(set) var promptsBehind = JobStore.promptIndexBatch

    /// How far the prompt index may fall behind before a commit catches up.
    public static let promptIndexBatch = 512

    /// The database file this store opened (device, inode): a file at the
    /// path that is not this one means it was deleted or replaced.
    private let identity: (device: UInt64, inode: UInt64)?

    /// Opens the database at `path` and brings its schema up to date.
    ///
    /// - Parameter verify: first checks that a database already there is
    ///   sound (`DatabaseCheck`): what a daemon does at start, so that it
    ///   never works on a damaged queue without a word.
    /// - Throws: `JobStoreError.damaged` when `verify` finds a problem.
    public init(path: String, verify: Bool = false) throws {
        if verify {
            connection = try DatabaseCheck.open(path)
        } else {
            connection = try SQLiteConnection(path: path)
        }
        try Schema.migrate(connection)
        hasFullTextIndex = try connection.statement("SELECT count(*) FROM sqlite_master WHERE name = 'prompt_search'").first { $0.int(0) } == 1
        identity = (try? FileSystem.status(path)).flatMap { $0 }.map { ($0.device, $0.inode) }
    }

    /// Whether the file at the path is still the database this store
    /// opened (someone may delete the state folder under a running daemon).
    public var isStillOnDisk: Bool {
        guard let identity, let now = (try? FileSystem.status(connection.path)).flatMap({ $0 }) else { return false }
        return now.device == identity.device && now.inode == identity.inode
    }

    /// Writes everything this store holds to a new database at its path
    /// (creating the folder, 0700) with SQLite's backup API, and opens it: what
    /// a daemon does when its database file was deleted under it, so that the
    /// jobs it holds, and those it takes from now on, survive a restart.
    public func restoredToDisk() throws -> JobStore {
        let path = connection.path
        try FileSystem.makeDirectories(FileSystem.parentDirectory(of: path), permissions: 0o700)
        _ = try? FileSystem.removeFile(path + "-wal")
        _ = try? FileSystem.removeFile(path + "-shm")
        do {
            let target = try SQLiteConnection(path: path)
            try target.copy(from: connection)
        }
        return try JobStore(path: path)
    }

    // MARK: Inserting

    /// What `insert` did.
    public enum InsertOutcome: Sendable, Equatable {
        /// A new job, with the number of queued jobs ahead of it.
        case created(JobRecord, position: Int)
        /// A job with the same idempotency key already existed: that one.
        case existing(JobRecord)

        public var job: JobRecord {
            switch self {
            case .created(let job, _), .existing(let job): job
            }
        }
    }

    /// Inserts a queued job and a pending row per image, or returns the job
    /// that already has `idempotencyKey`.
    public func insert(_ new: NewJob) throws -> InsertOutcome {
        if let key = new.idempotencyKey,
            let id = try connection.statement("SELECT id FROM jobs WHERE idempotency_key = ?").first([.text(key)], { $0.text(0) }),
            let existing = try job(id)
        {
            return .existing(existing)
        }
        let before = connection.writeStamp
        try insertRows(new)
        // What was just written, without reading it back.
        let created = JobRecord(
            id: new.id, state: .queued, priority: new.priority, parameters: new.parameters, prompt: new.prompt,
            labels: Array(Set(new.labels)).sorted(), outputDirectory: new.outputDirectory, idempotencyKey: new.idempotencyKey,
            imageCount: new.imageCount, attempts: 0, nextAttemptAt: nil, error: nil, createdAt: new.createdAt, updatedAt: new.createdAt,
            startedAt: nil, finishedAt: nil,
            images: (0..<new.imageCount).map { ImageRecord(index: $0, request: $0 / new.imagesPerRequest, state: .pending, url: nil, path: nil, error: nil) },
            backend: new.backend
        )
        let position: Int
        let isNewest: Bool
        if let last = lastCreated, last.stamp == before, last.priority == new.priority, last.id.utf8.lexicographicallyPrecedes(new.id.utf8) {
            // Nothing was written since the last job this store created, the
            // newest in the store then; this one sorts after it (SQLite
            // compares ids bytewise) at the same priority: every job ahead of
            // that one is ahead of this one, and so is that one, still queued.
            position = min(last.position + 1, Self.positionLimit)
            isNewest = true
        } else {
            position = try self.position(of: created)
            isNewest = try newestJobID() == new.id
        }
        lastCreated = isNewest ? (new.id, new.priority, position, connection.writeStamp) : nil
        return .created(created, position: position)
    }

    /// The last job `insert` created while it was the newest in the store:
    /// its id, priority and position, and the store's write stamp right
    /// after it. Counting the queue ahead of a new job walks up to
    /// `positionLimit` index entries on the store's thread, most of a
    /// submit's work there once the queue is that long (BENCHMARKS.md, notes
    /// from profiles); a run of submits at one priority with nothing else
    /// written in between needs none of that.
    private var lastCreated: (id: String, priority: Int, position: Int, stamp: SQLiteConnection.WriteStamp)?

    /// The rows of a new queued job, without reading anything back (for
    /// imports and for filling a store in benchmarks).
    public func insertRows(_ new: NewJob) throws {
        promptsBehind += 1
        try connection.statement("""
            INSERT INTO jobs (id, state, priority, params, prompt, output_dir, idempotency_key, image_count, backend, created_at, updated_at)
            VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).run([
                .text(new.id), .integer(Int64(new.priority)), .text(new.parameters), .text(new.prompt),
                new.outputDirectory.map { .text($0) } ?? .null, new.idempotencyKey.map { .text($0) } ?? .null,
                .integer(Int64(new.imageCount)), .text(new.backend), .integer(new.createdAt), .integer(new.createdAt),
            ])
        let label = try connection.statement("INSERT OR IGNORE INTO job_labels (label, job_id) VALUES (?, ?)")
        for name in new.labels {
            try label.run([.text(name), .text(new.id)])
        }
        let image = try connection.statement("INSERT INTO images (job_id, idx, request, state) VALUES (?, ?, ?, 'pending')")
        for index in 0..<new.imageCount {
            try image.run([.text(new.id), .integer(Int64(index)), .integer(Int64(index / new.imagesPerRequest))])
        }
    }

    // MARK: Reading

    private static let jobColumns = """
        id, state, priority, params, prompt, output_dir, idempotency_key, image_count, attempts, next_attempt_at,
        error_kind, error_message, created_at, updated_at, started_at, finished_at, backend
        """

    /// The newest job's id (ids sort by creation), or nil for an empty store.
    public func newestJobID() throws -> String? {
        try connection.statement("SELECT max(id) FROM jobs").first { $0.optionalText(0) } ?? nil
    }

    /// Brings the full-text prompt index up to date with the jobs created
    /// since it last did, in one statement (FTS5 writes one segment for them
    /// all). Ids sort by creation and never go back (`JobIDGenerator.resume`),
    /// so the jobs after the newest indexed one are exactly the new ones.
    public func indexNewPrompts() throws {
        if hasFullTextIndex {
            try connection.statement("""
                INSERT OR IGNORE INTO prompt_index (job_id, prompt)
                SELECT id, prompt FROM jobs WHERE id > coalesce((SELECT max(job_id) FROM prompt_index), '') ORDER BY id
                """).run()
        }
        promptsBehind = 0
    }

    /// The job with `id`, or nil.
    public func job(_ id: String) throws -> JobRecord? {
        guard var record = try connection.statement("SELECT \(Self.jobColumns) FROM jobs WHERE id = ?").first([.text(id)], Self.readJob) else {
            return nil
        }
        try fillDetails(&record)
        return record
    }

    /// Jobs matching `query`, newest first.
    public func list(_ query: JobQuery) throws -> [JobRecord] {
        let (filter, values) = try selection(query)
        var records = try connection.statement("SELECT \(Self.jobColumns) FROM jobs \(filter) ORDER BY id DESC LIMIT ?").rows(values, Self.readJob)
        for index in records.indices {
            try fillDetails(&records[index])
        }
        return records
    }

    /// The jobs `query` selects, newest first, as listing lines: the same
    /// jobs as `list`, in one query (a listing of 20 read 41 before).
    public func summaries(_ query: JobQuery) throws -> [JobSummaryRecord] {
        let (filter, values) = try selection(query)
        return try connection.statement("""
            SELECT id, state, image_count, created_at, prompt,
                (SELECT count(*) FROM images WHERE images.job_id = jobs.id AND images.state = '\(ImageState.saved.rawValue)')
            FROM jobs \(filter) ORDER BY id DESC LIMIT ?
            """).rows(values) { row in
                JobSummaryRecord(
                    // The schema's CHECK admits only the five states: the default cannot be reached.
                    id: row.text(0), state: JobState(rawValue: row.text(1)) ?? .failed, imageCount: row.int(2), imagesDone: row.int(5),
                    createdAt: row.integer(3), prompt: row.text(4)
                )
            }
    }

    /// The WHERE clause and its values for `query`, the limit last.
    private func selection(_ query: JobQuery) throws -> (filter: String, values: [SQLiteStatement.Value]) {
        var conditions: [String] = []
        var values: [SQLiteStatement.Value] = []
        if let state = query.state {
            conditions.append("state = ?")
            values.append(.text(state.rawValue))
        }
        if let label = query.label {
            conditions.append("id IN (SELECT job_id FROM job_labels WHERE label = ?)")
            values.append(.text(label))
        }
        if let text = query.text {
            conditions.append("prompt LIKE ? ESCAPE '\\'")
            values.append(.text("%" + Self.escapeLike(text) + "%"))
        }
        if let search = query.search {
            let words = Self.searchWords(search)
            if hasFullTextIndex, !words.isEmpty {
                try indexNewPrompts()
                conditions.append("""
                    id IN (SELECT job_id FROM prompt_index WHERE n IN (SELECT rowid FROM prompt_search WHERE prompt_search MATCH ?))
                    """)
                // Each word a quoted prefix (words hold no quotes): no FTS5 syntax from users.
                values.append(.text(words.map { "\"\($0)\"*" }.joined(separator: " ")))
            } else {
                for word in words {
                    conditions.append("prompt LIKE ? ESCAPE '\\'")
                    values.append(.text("%" + Self.escapeLike(word) + "%"))
                }
            }
        }
        if let before = query.before {
            conditions.append("id < ?")
            values.append(.text(before))
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        values.append(.integer(Int64(max(0, query.limit))))
        return (filter, values)
    }

    /// Queued jobs ahead of `job` (higher priority, or the same and older),
    /// counted up to `positionLimit`: exact for any queue a person watches,
    /// and a submit costs the same with a million jobs queued.
    public func position(of job: JobRecord) throws -> Int {
        guard job.state == .queued else { return 0 }
        let higher = try connection.statement("""
            SELECT count(*) FROM (SELECT 1 FROM jobs WHERE state = 'queued' AND priority > ? LIMIT \(Self.positionLimit))
            """).first([.integer(Int64(job.priority))]) { $0.int(0) } ?? 0
        let same = try connection.statement("""
            SELECT count(*) FROM (SELECT 1 FROM jobs WHERE state = 'queued' AND priority = ? AND id < ? LIMIT \(Self.positionLimit))
            """).first([.integer(Int64(job.priority)), .text(job.id)]) { $0.int(0) } ?? 0
        return min(higher + same, Self.positionLimit)
    }

    /// The largest position reported; a job further back shows this.
    public static let positionLimit = 1000

    /// Queued jobs whose retry time has come, in scheduling order (priority,
    /// then FIFO); with `backends`, only jobs on those backends.
    public func runnable(now: Int64, limit: Int, backends: [String]? = nil) throws -> [JobRecord] {
        var values: [SQLiteStatement.Value] = [.integer(now)]
        var onBackends = ""
        if let backends {
            guard !backends.isEmpty else { return [] }
            onBackends = " AND backend IN (" + Array(repeating: "?", count: backends.count).joined(separator: ", ") + ")"
            values += backends.map { .text($0) }
        }
        values.append(.integer(Int64(limit)))
        var records = try connection.statement("""
            SELECT \(Self.jobColumns) FROM jobs
            WHERE state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)\(onBackends)
            ORDER BY priority DESC, id LIMIT ?
            """).rows(values, Self.readJob)
        for index in records.indices {
            try fillDetails(&records[index])
        }
        return records
    }

    /// Gives every queued job whose backend is not one of `backends` the
    /// failure `failure(backend)` (no attempt counted; it stays queued, and
    /// runs once its backend is configured again).
    ///
    /// - Returns: how many jobs wait so.
    @discardableResult
    public func markBackendMissing(except backends: [String], now: Int64, _ failure: (String) -> JobFailure) throws -> Int {
        let placeholders = Array(repeating: "?", count: backends.count).joined(separator: ", ")
        let missing = try connection.statement("""
            SELECT DISTINCT backend FROM jobs WHERE state = 'queued' AND backend NOT IN (\(placeholders))
            """).rows(backends.map { .text($0) }) { $0.text(0) }
        var marked = 0
        for name in missing {
            let why = failure(name)
            try connection.statement("""
                UPDATE jobs SET error_kind = ?, error_message = ?, updated_at = ? WHERE state = 'queued' AND backend = ?
                """).run([.text(why.kind.rawValue), .text(why.message), .integer(now), .text(name)])
            marked += connection.changes
        }
        return marked
    }

    /// The soonest retry time of each backend's queued jobs (those put off
    /// until then), by backend.
    public func nextRetryTimes() throws -> [String: Int64] {
        // The partial index holds only the queued jobs put off, whatever
        // the length of the queue.
        let rows = try connection.statement("""
            SELECT backend, min(next_attempt_at) FROM jobs INDEXED BY jobs_by_retry
            WHERE state = 'queued' AND next_attempt_at IS NOT NULL GROUP BY backend
            """)
            .rows { row in (row.text(0), row.optionalInteger(1)) }
        return Dictionary(rows.compactMap { name, time in time.map { (name, $0) } }, uniquingKeysWith: min)
    }

    /// Records what one generation on `backend` cost: `images` made in
    /// `milliseconds` (as the daemon measured the call), on the local date
    /// `day`, and what the backend itself reported, when it did: the time
    /// it says it worked (`backendMilliseconds`) and the tokens it billed.
    public func recordUsage(
        backend: String, jobID: String, day: String, images: Int, milliseconds: Int64, backendMilliseconds: Int64? = nil,
        tokens: TokenCounts? = nil, now: Int64
    ) throws {
        func optional(_ value: (some BinaryInteger)?) -> SQLiteStatement.Value { value.map { .integer(Int64($0)) } ?? .null }
        try connection.statement("""
            INSERT INTO usage (backend, job_id, day, at, images, milliseconds, backend_milliseconds, input_tokens, output_tokens, total_tokens)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).run([
            .text(backend), .text(jobID), .text(day), .integer(now), .integer(Int64(images)), .integer(milliseconds),
            optional(backendMilliseconds), optional(tokens?.input), optional(tokens?.output), optional(tokens?.total),
        ])
    }

    /// One backend's usage on one day.
    public struct DailyUsage: Sendable, Equatable {
        public var day: String
        public var backend: String
        public var requests: Int
        public var images: Int
        /// The time the generations took: each as its backend reported it
        /// where it did, else as the daemon measured the call.
        public var milliseconds: Int64
        /// The tokens summed over the generations that reported them; nil
        /// when none did (each count apart: nil where none reported it).
        public var tokens: TokenCounts?

        public init(day: String, backend: String, requests: Int, images: Int, milliseconds: Int64, tokens: TokenCounts? = nil) {
            self.day = day
            self.backend = backend
            self.requests = requests
            self.images = images
            self.milliseconds = milliseconds
            self.tokens = tokens
        }
    }

    /// Each backend's usage per day from `firstDay` (YYYY-MM-DD) on, newest
    /// day first; with `backend`, that backend's only.
    public func usage(from firstDay: String, backend: String? = nil) throws -> [DailyUsage] {
        // sum() of only NULLs is NULL: a count no generation reported stays unknown.
        var sql = """
            SELECT day, backend, count(*), sum(images), sum(coalesce(backend_milliseconds, milliseconds)),
                sum(input_tokens), sum(output_tokens), sum(total_tokens)
            FROM usage WHERE day >= ?
            """
        var values: [SQLiteStatement.Value] = [.text(firstDay)]
        if let backend {
            sql += " AND backend = ?"
            values.append(.text(backend))
        }
        sql += " GROUP BY day, backend ORDER BY day DESC, backend"
        return try connection.statement(sql).rows(values) { row in
            DailyUsage(
                day: row.text(0), backend: row.text(1), requests: row.int(2), images: row.int(3), milliseconds: row.integer(4),
                tokens: TokenCounts(reported: row.optionalInt(5), output: row.optionalInt(6), total: row.optionalInt(7))
            )
        }
    }

    /// The images `backend` made on `day`.
    public func images(of backend: String, on day: String) throws -> Int {
        try connection.statement("SELECT coalesce(sum(images), 0) FROM usage WHERE backend = ? AND day = ?").first([.text(backend), .text(day)]) { $0.int(0) } ?? 0
    }

    /// The images `backend` made in `month` (YYYY-MM).
    public func images(of backend: String, inMonth month: String) throws -> Int {
        // The days of a month sort between "YYYY-MM-" and "YYYY-MM-~": the index serves it.
        try connection.statement("SELECT coalesce(sum(images), 0) FROM usage WHERE backend = ? AND day >= ? AND day < ?")
            .first([.text(backend), .text(month + "-"), .text(month + "-~")]) { $0.int(0) } ?? 0
    }

    /// How many jobs are queued on each backend (backends with none left out).
    public func queuedByBackend() throws -> [String: Int] {
        let rows = try connection.statement("SELECT backend, count(*) FROM jobs WHERE state = 'queued' GROUP BY backend").rows([]) { ($0.text(0), $0.int(1)) }
        return Dictionary(rows, uniquingKeysWith: +)
    }

    /// How many jobs are in each state.
    public func counts() throws -> [JobState: Int] {
        var counts: [JobState: Int] = [:]
        let rows = try connection.statement("SELECT state, count(*) FROM jobs GROUP BY state").rows([]) { ($0.text(0), $0.int(1)) }
        for (state, count) in rows {
            if let state = JobState(rawValue: state) { counts[state] = count }
        }
        return counts
    }

    // MARK: Changing

    /// What `requeueInterrupted` did.
    public struct Interrupted: Sendable, Equatable {
        /// Jobs back in the queue.
        public var requeued: Int = 0
        /// Jobs that reached the attempt limit this way: failed, `crashed`.
        public var failed: [String] = []
    }

    /// On start: jobs still `running` were interrupted by a crash or a kill
    /// (a graceful stop requeues its own, `requeueStopped`), so each counts
    /// an attempt, as a failed request would: a job whose work brings the
    /// daemon down (a plugin's stack overflow, an out-of-memory kill) stops
    /// after `maximumAttempts` starts instead of crash-looping forever. The
    /// others go back to `queued` with the reason kept; saved images stay
    /// saved.
    @discardableResult
    public func requeueInterrupted(now: Int64, maximumAttempts: Int) throws -> Interrupted {
        var result = Interrupted()
        try connection.statement("UPDATE jobs SET attempts = attempts + 1, updated_at = ? WHERE state = 'running'").run([.integer(now)])
        guard connection.changes > 0 else { return result }
        result.failed = try connection.statement("SELECT id FROM jobs WHERE state = 'running' AND attempts >= ? ORDER BY id")
            .rows([.integer(Int64(maximumAttempts))]) { $0.text(0) }
        for id in result.failed {
            let attempts = try connection.statement("SELECT attempts FROM jobs WHERE id = ?").first([.text(id)]) { $0.int(0) } ?? maximumAttempts
            try finish(id, failure: JobFailure.crashed(attempts: attempts, limit: maximumAttempts, final: true), now: now)
        }
        let running = try connection.statement("SELECT id, attempts FROM jobs WHERE state = 'running'").rows([]) { ($0.text(0), $0.int(1)) }
        let requeue = try connection.statement("""
            UPDATE jobs SET state = 'queued', error_kind = ?, error_message = ?, updated_at = ? WHERE id = ? AND state = 'running'
            """)
        for (id, attempts) in running {
            let failure = JobFailure.crashed(attempts: attempts, limit: maximumAttempts, final: false)
            try requeue.run([.text(failure.kind.rawValue), .text(failure.message), .integer(now), .text(id)])
        }
        result.requeued = running.count
        return result
    }

    /// At a graceful stop, once no job is worked on any more: the jobs left
    /// `running` go back to `queued` with no attempt counted (the daemon
    /// chose to stop; nothing went wrong with them). Returns how many.
    @discardableResult
    public func requeueStopped(now: Int64) throws -> Int {
        try connection.statement("UPDATE jobs SET state = 'queued', updated_at = ? WHERE state = 'running'").run([.integer(now)])
        return connection.changes
    }

    /// queued -> running.
    public func markRunning(_ id: String, now: Int64) throws {
        try connection.statement("""
            UPDATE jobs SET state = 'running', started_at = coalesce(started_at, ?), updated_at = ?, next_attempt_at = NULL
            WHERE id = ? AND state = 'queued'
            """).run([.integer(now), .integer(now), .text(id)])
        try requireChange(id, action: "started")
    }

    /// The backend made request `request` of a job a remote job,
    /// `remoteID` (nil: forget it, the remote job is lost): the request's
    /// pending images remember it until they are made.
    public func recordRemote(_ id: String, request: Int, remoteID: String?, now: Int64) throws {
        try connection.statement("UPDATE images SET remote_id = ? WHERE job_id = ? AND request = ? AND state = 'pending'").run([
            remoteID.map { .text($0) } ?? .null, .text(id), .integer(Int64(request)),
        ])
        try touch(id, now: now)
    }

    /// The upstream answered request `request` of a job with `urls`: its
    /// images become `generated`. An image's `error` (why it was made again)
    /// stays until it is saved.
    public func recordGenerated(_ id: String, request: Int, urls: [String], now: Int64) throws {
        let pending = try connection.statement("SELECT idx FROM images WHERE job_id = ? AND request = ? AND state = 'pending' ORDER BY idx")
            .rows([.text(id), .integer(Int64(request))]) { $0.int(0) }
        let update = try connection.statement("UPDATE images SET state = 'generated', url = ? WHERE job_id = ? AND idx = ?")
        for (index, url) in zip(pending, urls) {
            try update.run([.text(url), .text(id), .integer(Int64(index))])
        }
        try touch(id, now: now)
    }

    /// An image was saved at `path`; none of the file hooks has run on it.
    public func recordSaved(_ id: String, index: Int, path: String, now: Int64) throws {
        try connection.statement("UPDATE images SET state = 'saved', path = ?, error = NULL, file_hooks_done = 0 WHERE job_id = ? AND idx = ?")
            .run([.text(path), .text(id), .integer(Int64(index))])
        try touch(id, now: now)
    }

    /// The first `count` file hooks of the chain have run on saved image
    /// `index`.
    public func recordFileHooksDone(_ id: String, index: Int, count: Int, now: Int64) throws {
        try connection.statement("UPDATE images SET file_hooks_done = ? WHERE job_id = ? AND idx = ? AND state = 'saved'")
            .run([.integer(Int64(count)), .text(id), .integer(Int64(index))])
        try touch(id, now: now)
    }

    /// Forgets a generated image's URL (it expired or never downloads): the
    /// image is generated again.
    public func resetImage(_ id: String, index: Int, error: String, now: Int64) throws {
        try connection.statement("UPDATE images SET state = 'pending', url = NULL, remote_id = NULL, error = ? WHERE job_id = ? AND idx = ?")
            .run([.text(error), .text(id), .integer(Int64(index))])
        try touch(id, now: now)
    }

    /// A failed attempt: the job goes back to `queued` until `nextAttemptAt`,
    /// with the failure recorded; `countsAsAttempt` is false for rate limits
    /// and key problems.
    public func recordRetry(_ id: String, failure: JobFailure, nextAttemptAt: Int64?, countsAsAttempt: Bool, now: Int64) throws {
        try connection.statement("""
            UPDATE jobs SET state = 'queued', attempts = attempts + ?, next_attempt_at = ?, error_kind = ?, error_message = ?, updated_at = ?
            WHERE id = ? AND state IN ('queued', 'running')
            """).run([
                .integer(countsAsAttempt ? 1 : 0), nextAttemptAt.map { .integer($0) } ?? .null, .text(failure.kind.rawValue), .text(failure.message),
                .integer(now), .text(id),
            ])
        try requireChange(id, action: "retried")
    }

    /// running -> succeeded (every image saved), or -> failed with `failure`.
    public func finish(_ id: String, failure: JobFailure?, now: Int64) throws {
        let state: JobState = failure == nil ? .succeeded : .failed
        try connection.statement("""
            UPDATE jobs SET state = ?, error_kind = ?, error_message = ?, next_attempt_at = NULL, finished_at = ?, updated_at = ?
            WHERE id = ? AND state IN ('queued', 'running')
            """).run([
                .text(state.rawValue), failure.map { .text($0.kind.rawValue) } ?? .null, failure.map { .text($0.message) } ?? .null,
                .integer(now), .integer(now), .text(id),
            ])
        try requireChange(id, action: state == .succeeded ? "finished" : "failed")
        if failure != nil {
            try connection.statement("UPDATE images SET state = 'failed' WHERE job_id = ? AND state IN ('pending', 'generated')").run([.text(id)])
        }
    }

    /// queued or running -> cancelled. Returns the job as it was before.
    public func cancel(_ id: String, now: Int64) throws -> JobRecord {
        guard let job = try job(id) else { throw JobStoreError.notFound(id: id) }
        guard !job.state.isTerminal else { throw JobStoreError.wrongState(id: id, state: job.state, action: "cancelled") }
        try connection.statement("UPDATE jobs SET state = 'cancelled', next_attempt_at = NULL, finished_at = ?, updated_at = ? WHERE id = ?")
            .run([.integer(now), .integer(now), .text(id)])
        return job
    }

    /// failed or cancelled -> queued, attempts reset; saved images stay (and
    /// keep the count of file hooks that ran on them: the others run),
    /// images with a known URL are downloaded again, the others made again.
    public func retry(_ id: String, now: Int64) throws -> JobRecord {
        guard let job = try job(id) else { throw JobStoreError.notFound(id: id) }
        guard job.state == .failed || job.state == .cancelled else {
            throw JobStoreError.wrongState(id: id, state: job.state, action: "retried (only failed or cancelled jobs can be)")
        }
        try connection.statement("""
            UPDATE jobs SET state = 'queued', attempts = 0, next_attempt_at = NULL, error_kind = NULL, error_message = NULL,
            finished_at = NULL, updated_at = ? WHERE id = ?
            """).run([.integer(now), .text(id)])
        // An image whose URL is known (it failed to save: a full disk, say)
        // is fetched from it again; the runner makes it again only if the
        // service no longer has it (`resetImage`).
        try connection.statement("""
            UPDATE images SET state = CASE WHEN url IS NULL THEN 'pending' ELSE 'generated' END, error = NULL
            WHERE job_id = ? AND state = 'failed'
            """).run([.text(id)])
        guard let queued = try self.job(id) else { throw JobStoreError.notFound(id: id) }
        return queued
    }

    // MARK: Queue pauses

    /// A queue-wide pause: nothing of `scope` starts before `until`.
    public struct Pause: Sendable, Equatable {
        /// ms since 1970.
        public var until: Int64
        public var reason: String

        public init(until: Int64, reason: String) {
            self.until = until
            self.reason = reason
        }
    }

    /// Records a pause of `scope`, keeping the later of it and one already
    /// recorded.
    public func recordPause(_ scope: String, _ pause: Pause) throws {
        try connection.statement("""
            INSERT INTO queue_pauses (scope, until, reason) VALUES (?, ?, ?)
            ON CONFLICT (scope) DO UPDATE SET reason = excluded.reason, until = excluded.until WHERE excluded.until > queue_pauses.until
            """).run([.text(scope), .integer(pause.until), .text(pause.reason)])
    }

    /// The pause of `scope` still in force at `now`, if any.
    public func pause(_ scope: String, now: Int64) throws -> Pause? {
        try connection.statement("SELECT until, reason FROM queue_pauses WHERE scope = ? AND until > ?")
            .first([.text(scope), .integer(now)]) { Pause(until: $0.integer(0), reason: $0.text(1)) }
    }

    // MARK: Deleting

    /// Deletes finished jobs by id, with their labels and image rows (not
    /// their files): all of them, or none when one is missing or not finished.
    ///
    /// - Returns: the jobs as they were, for their image paths.
    public func delete(ids: [String]) throws -> [JobRecord] {
        var jobs: [JobRecord] = []
        for id in ids {
            guard let job = try job(id) else { throw JobStoreError.notFound(id: id) }
            guard job.state.isTerminal else { throw JobStoreError.wrongState(id: id, state: job.state, action: "deleted (cancel it first)") }
            jobs.append(job)
        }
        let delete = try connection.statement("DELETE FROM jobs WHERE id = ?")
        for job in jobs { try delete.run([.text(job.id)]) }
        return jobs
    }

    /// Deletes every job that finished (succeeded, failed or was cancelled)
    /// before `finishedBefore` (ms since 1970).
    ///
    /// - Returns: the jobs as they were, for their image paths.
    public func deleteFinished(before finishedBefore: Int64) throws -> [JobRecord] {
        let ids = try connection.statement("""
            SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND coalesce(finished_at, updated_at) < ? ORDER BY id
            """).rows([.integer(finishedBefore)]) { $0.text(0) }
        return try delete(ids: ids)
    }

    // MARK: Private

    /// The words of a search: runs of letters, digits and other word
    /// characters (what the full-text tokenizer indexes).
    static func searchWords(_ text: String) -> [String] {
        text.split { character in !(character.isLetter || character.isNumber || character == "_") }.map(String.init)
    }

    private func touch(_ id: String, now: Int64) throws {
        try connection.statement("UPDATE jobs SET updated_at = ? WHERE id = ?").run([.integer(now), .text(id)])
        try requireChange(id, action: "updated")
    }

    private func requireChange(_ id: String, action: String) throws {
        guard connection.changes == 0 else { return }
        guard let job = try job(id) else { throw JobStoreError.notFound(id: id) }
        throw JobStoreError.wrongState(id: id, state: job.state, action: action)
    }

    private func fillDetails(_ record: inout JobRecord) throws {
        record.labels = try connection.statement("SELECT label FROM job_labels WHERE job_id = ? ORDER BY label").rows([.text(record.id)]) { $0.text(0) }
        record.images = try connection.statement(
            "SELECT idx, request, state, url, path, error, file_hooks_done, remote_id FROM images WHERE job_id = ? ORDER BY idx"
        )
            .rows([.text(record.id)]) { row in
                ImageRecord(
                    index: row.int(0), request: row.int(1), state: ImageState(rawValue: row.text(2)) ?? .pending,
                    url: row.optionalText(3), path: row.optionalText(4), error: row.optionalText(5), fileHooksDone: row.int(6),
                    remoteID: row.optionalText(7)
                )
            }
    }

    private static func readJob(_ row: SQLiteRow) -> JobRecord {
        let errorKind = row.optionalText(10)
        return JobRecord(
            // The schema's CHECK admits only the five states: the default cannot be reached.
            id: row.text(0), state: JobState(rawValue: row.text(1)) ?? .failed, priority: row.int(2), parameters: row.text(3),
            prompt: row.text(4), labels: [], outputDirectory: row.optionalText(5), idempotencyKey: row.optionalText(6),
            imageCount: row.int(7), attempts: row.int(8), nextAttemptAt: row.optionalInteger(9),
            error: errorKind.map { JobFailure(storedKind: $0, message: row.optionalText(11) ?? "") },
            createdAt: row.integer(12), updatedAt: row.integer(13), startedAt: row.optionalInteger(14), finishedAt: row.optionalInteger(15),
            images: [], backend: row.text(16)
        )
    }

    private static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
