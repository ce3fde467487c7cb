import CSQLite
import Posix

/// What a daemon checks before it trusts the job database it finds: a file
/// that exists but is empty, a write-ahead log without its database, and
/// SQLite's `quick_check` (every page and b-tree readable and well formed;
/// it reads every page: 0.1 to 0.35 s for 100,000 jobs, README "Reliability").
///
/// A database this daemon made is never empty: its first commit writes the
/// header and the schema. An empty file, or a lone `-wal`, means the file
/// was truncated, replaced or deleted behind the daemon's back, and opening
/// it would start an empty queue without a word.
enum DatabaseCheck {
    /// Problems shown from `quick_check`, at most.
    static let reportedProblems = 3

    /// Opens the database at `path` once it passed every check.
    ///
    /// The quick check runs on a connection of its own, closed before the
    /// store's is opened: reading every page leaves a connection holding
    /// memory that the store's would keep for its whole life (BENCHMARKS.md,
    /// "Notes from profiles").
    static func open(_ path: String) throws -> SQLiteConnection {
        try beforeOpening(path)
        do {
            let checking = try SQLiteConnection(path: path)
            try afterOpening(checking)
        } catch let error as SQLiteError where error.primaryCode == SQLITE_NOTADB {
            throw JobStoreError.damaged(path: path, problem: "it is not an SQLite database (\(error.message))")
        }
        return try SQLiteConnection(path: path)
    }

    /// The checks on the files, before SQLite opens (and would create) one.
    static func beforeOpening(_ path: String) throws(JobStoreError) {
        let database = try? FileSystem.status(path)
        if let database {
            if database.kind == .regular, database.size == 0 {
                throw .damaged(path: path, problem: "the file is empty (0 bytes), so the jobs it held are gone: it was truncated or replaced")
            }
            return
        }
        if let log = try? FileSystem.status(path + "-wal"), log.size > 0 {
            throw .damaged(
                path: path, problem: "the file is missing but its write-ahead log (\(path)-wal, \(log.size) bytes) is there: it was deleted or moved"
            )
        }
    }

    /// SQLite's quick check on the open connection.
    static func afterOpening(_ connection: SQLiteConnection) throws(JobStoreError) {
        let problems: [String]
        do {
            problems = try connection.statement("PRAGMA quick_check(\(reportedProblems))").rows([]) { $0.text(0) }
        } catch {
            throw .damaged(path: connection.path, problem: "SQLite cannot read it (\(error.message))")
        }
        guard problems != ["ok"] else { return }
        throw .damaged(path: connection.path, problem: "SQLite's quick check found: " + problems.joined(separator: "; "))
    }
}
