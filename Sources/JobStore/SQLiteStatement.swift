import CSQLite

/// A prepared statement. Bind parameters by position (1-based, as SQLite
/// counts), step, read columns by position (0-based). Not thread-safe: it
/// belongs to its connection's thread.
public final class SQLiteStatement {
    let handle: OpaquePointer
    private let database: OpaquePointer
    public let sql: String

    init(database: OpaquePointer, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw SQLiteError(code: code, message: String(cString: sqlite3_errmsg(database)), context: "prepare \(sql.prefix(60))")
        }
        handle = statement
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// A value to bind.
    public enum Value: Sendable, Equatable {
        case integer(Int64)
        case text(String)
        case null
    }

    /// Resets the statement and binds `values` to parameters 1, 2, ...
    @discardableResult
    public func bind(_ values: [Value]) throws(SQLiteError) -> SQLiteStatement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .null: code = sqlite3_bind_null(handle, index)
            case .text(let text):
                let length = Int32(text.utf8.count)
                code = text.withCString { csqlite_bind_text_copy(handle, index, $0, length) }
            }
            guard code == SQLITE_OK else { throw error(code, "bind parameter \(index)") }
        }
        return self
    }

    /// Runs a statement that returns no rows (or ignores them).
    public func run(_ values: [Value] = []) throws(SQLiteError) {
        try bind(values)
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    /// Runs a query and maps each row.
    public func rows<T>(_ values: [Value] = [], _ read: (SQLiteRow) throws(SQLiteError) -> T) throws(SQLiteError) -> [T] {
        try bind(values)
        defer { sqlite3_reset(handle) }
        var results: [T] = []
        while try step() {
            results.append(try read(SQLiteRow(statement: handle)))
        }
        return results
    }

    /// The first row of a query, mapped, or nil.
    public func first<T>(_ values: [Value] = [], _ read: (SQLiteRow) throws(SQLiteError) -> T) throws(SQLiteError) -> T? {
        try bind(values)
        defer { sqlite3_reset(handle) }
        guard try step() else { return nil }
        return try read(SQLiteRow(statement: handle))
    }

    /// Advances: true when a row is available, false when done.
    private func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error(sqlite3_extended_errcode(database), "run \(sql.prefix(60))")
        }
    }

    private func error(_ code: Int32, _ context: String) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(database)), context: context)
    }
}

/// The current row of a statement, read by column position.
public struct SQLiteRow {
    let statement: OpaquePointer

    public func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    public func integer(_ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    public func int(_ column: Int32) -> Int {
        Int(sqlite3_column_int64(statement, column))
    }

    public func optionalInteger(_ column: Int32) -> Int64? {
        isNull(column) ? nil : integer(column)
    }

    public func optionalInt(_ column: Int32) -> Int? {
        isNull(column) ? nil : int(column)
    }

    public func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    public func optionalText(_ column: Int32) -> String? {
        isNull(column) ? nil : text(column)
    }
}
