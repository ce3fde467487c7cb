import Jobs

/// Why a job store operation failed, in words a user can act on.
public enum JobStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No job has this id.
    case notFound(id: String)
    /// The job is in a state where this cannot be done.
    case wrongState(id: String, state: JobState, action: String)
    /// The database was written by a newer visioncraftd.
    case newerSchema(found: Int, known: Int, path: String)
    /// SQLite failed (disk full, permissions, corruption).
    case storage(SQLiteError)
    /// The store is closed (the daemon is stopping).
    case closed
    /// The database at `path` is damaged (`DatabaseCheck`).
    case damaged(path: String, problem: String)
    /// Text that cannot name a job (`JobReference`).
    case invalidReference(String, reason: String)
    /// A piece of an id that more than one job's id starts or ends with
    /// (some of them: more than `ambiguousExamples` means there are more).
    case ambiguous(String, matches: [String])

    /// How many of the jobs an ambiguous piece matches are named.
    public static let ambiguousExamples = 5

    public var description: String {
        switch self {
        case .notFound(let id):
            id == "last" ? "no job yet: 'last' names the newest job" : "no job \(id)"
        case .invalidReference(let text, let reason):
            "'\(text)' is not a job id: \(reason)"
        case .ambiguous(let piece, let matches):
            "'\(piece)' matches more than one job (\(matches.prefix(Self.ambiguousExamples).joined(separator: ", "))\(matches.count > Self.ambiguousExamples ? ", ..." : "")): give more characters"
        case .wrongState(let id, let state, let action):
            "job \(id) is \(state.rawValue): it cannot be \(action)"
        case .newerSchema(let found, let known, let path):
            "\(path) has schema version \(found), newer than this visioncraftd knows (\(known)): run the newer visioncraftd, or move the file away to start afresh"
        case .storage(let error):
            error.isDiskFull ? "the job database cannot be written: the disk is full (\(error.context))" : "the job database failed: \(error)"
        case .closed:
            "the job store is closed"
        case .damaged(let path, let problem):
            "the job database \(path) is damaged: \(problem). It is not used as it is, since jobs could be lost or run twice. "
                + "To recover, with no daemon running: keep a copy of \(path)*, then "
                + "'sqlite3 \(path) .recover | sqlite3 \(path).recovered' (the sqlite3 command-line tool) and move \(path).recovered "
                + "to \(path), removing \(path)-wal and \(path)-shm; or put a backup in its place; "
                + "or start visioncraftd with --skip-database-check to use the file as it is"
        }
    }
}
