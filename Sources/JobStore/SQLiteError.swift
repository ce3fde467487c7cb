import CSQLite

/// A failed SQLite call: the result code, SQLite's message and what we were
/// doing.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_FULL` ...).
    public let code: Int32
    public let message: String
    /// What was being done: "open /path", "prepare INSERT ...".
    public let context: String

    public init(code: Int32, message: String, context: String) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// The primary result code (the low byte of the extended code).
    public var primaryCode: Int32 { code & 0xFF }

    /// The disk is full or the database cannot grow.
    public var isDiskFull: Bool { primaryCode == SQLITE_FULL }

    public var description: String { "\(context): \(message) (SQLite code \(code))" }
}
