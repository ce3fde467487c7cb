import CSQLite
import Posix

/// One SQLite connection, used from one thread at a time (SQLite's
/// multi-thread mode: no connection is shared). Statements are prepared once
/// and cached by their SQL.
public final class SQLiteConnection {
    let handle: OpaquePointer
    public let path: String
    private var statements: [String: SQLiteStatement] = [:]

    /// The SQLite library's version ("3.46.1"), as loaded.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    /// Opens (creating it with mode 0600 if needed) the database at `path`
    /// in WAL mode with full synchronous commits and foreign keys on.
    public init(path: String) throws(SQLiteError) {
        self.path = path
        // SQLite creates the -wal and -shm files with the database file's
        // permissions, so creating that file 0600 first keeps all three private.
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SQLiteError(code: SQLITE_CANTOPEN, message: SystemError.last("open", path).description, context: "open \(path)")
        }
        close(fd)
        var database: OpaquePointer?
        let code = sqlite3_open_v2(path, &database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard code == SQLITE_OK, let database else {
            let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(database)
            throw SQLiteError(code: code, message: message, context: "open \(path)")
        }
        handle = database
        sqlite3_busy_timeout(database, 5000)
        try execute("PRAGMA journal_mode = WAL")
        try execute("PRAGMA synchronous = FULL")
        try execute("PRAGMA foreign_keys = ON")
        // A checkpoint truncates the write-ahead log back to this size: a
        // burst of large writes does not leave a log of that size behind.
        try execute("PRAGMA journal_size_limit = \(Self.journalSizeLimit)")
    }

    /// Bytes the write-ahead log is cut back to after a checkpoint.
    static let journalSizeLimit = 4 << 20

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL with no parameters (several statements allowed).
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text, context: "execute \(sql.prefix(60))")
        }
    }

    /// The cached prepared statement for `sql`.
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        let prepared = try SQLiteStatement(database: handle, sql: sql)
        statements[sql] = prepared
        return prepared
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Where the database's content stands: equal stamps taken at two
    /// moments on this connection mean nothing was written, and nothing
    /// undone, in between (SQLite's count of changed rows only grows, and a
    /// rollback is counted here).
    public struct WriteStamp: Equatable, Sendable {
        let changes: Int64
        let rollbacks: Int
    }

    /// The stamp of this moment.
    public var writeStamp: WriteStamp { WriteStamp(changes: sqlite3_total_changes64(handle), rollbacks: rollbacks) }

    /// Rollbacks of transactions and savepoints so far (see `WriteStamp`).
    private var rollbacks = 0

    /// Rolls back the transaction under way (after a failed commit).
    public func rollBack() {
        rollbacks += 1
        try? execute("ROLLBACK")
    }

    /// Replaces this database's content with `source`'s, page by page
    /// (`sqlite3_backup`), in one step.
    func copy(from source: SQLiteConnection) throws(SQLiteError) {
        guard let backup = sqlite3_backup_init(handle, "main", source.handle, "main") else {
            throw SQLiteError(code: sqlite3_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), context: "backup to \(path)")
        }
        let stepped = sqlite3_backup_step(backup, -1)
        let finished = sqlite3_backup_finish(backup)
        guard stepped == SQLITE_DONE, finished == SQLITE_OK else {
            throw SQLiteError(code: stepped == SQLITE_DONE ? finished : stepped, message: String(cString: sqlite3_errmsg(handle)), context: "backup to \(path)")
        }
    }

    /// `PRAGMA user_version`: the schema version.
    public var userVersion: Int {
        get throws(SQLiteError) {
            try statement("PRAGMA user_version").first { $0.int(0) } ?? 0
        }
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if
    /// it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            rollBack()
            throw error
        }
    }

    /// Runs `body` in a savepoint inside the current transaction: its changes
    /// are undone if it throws, the rest of the transaction stays. The
    /// savepoint statements are prepared once (the worker opens one per
    /// operation).
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try statement("SAVEPOINT step").run()
        do {
            let result = try body()
            try statement("RELEASE step").run()
            return result
        } catch {
            rollbacks += 1
            try? statement("ROLLBACK TO step").run()
            try? statement("RELEASE step").run()
            throw error
        }
    }
}
