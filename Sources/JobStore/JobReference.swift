/// How a user names a job: its full id, a unique piece of it (a prefix, as
/// git takes for commits, or the last characters, which the editor
/// integrations show), in any case, or `last` for the newest job.
///
/// Crockford base32 reads I and L as 1 and O as 0, so an id copied by eye
/// still resolves.
public enum JobReference: Sendable, Equatable {
    /// A whole id, already in canonical form: nothing to look up.
    case id(String)
    /// The newest job.
    case last
    /// The start or end of one job's id (canonical characters).
    case piece(String)

    /// The fewest characters a piece may have: fewer would name hundreds of
    /// jobs at once in a busy history.
    public static let shortestPiece = 4

    /// Reads `text`.
    ///
    /// - Throws: `JobStoreError.invalidReference` for text that cannot be a
    ///   job id or a piece of one.
    public init(parsing text: String) throws(JobStoreError) {
        if text.lowercased() == "last" {
            self = .last
            return
        }
        var canonical = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "0"..."9", "A"..."Z": canonical.unicodeScalars.append(scalar)
            case "a"..."z": canonical.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            default: throw JobStoreError.invalidReference(text, reason: "job ids are letters and digits")
            }
        }
        canonical = String(canonical.map { character -> Character in
            switch character {
            case "I", "L": "1"
            case "O": "0"
            default: character
            }
        })
        guard !canonical.contains("U") else {
            throw JobStoreError.invalidReference(text, reason: "job ids never hold U")
        }
        if JobIDGenerator.isValid(canonical) {
            self = .id(canonical)
        } else if canonical.count >= 26 {
            throw JobStoreError.invalidReference(text, reason: "a job id has 26 characters, starting with 0 to 7")
        } else if canonical.count < Self.shortestPiece {
            throw JobStoreError.invalidReference(text, reason: "give at least \(Self.shortestPiece) characters of the id, or 'last'")
        } else {
            self = .piece(canonical)
        }
    }
}

extension JobStore {
    /// How many of an id's last characters are indexed (migration 7).
    static let indexedEnding = 8

    /// The id `reference` names.
    ///
    /// - Throws: `JobStoreError.notFound` when no job matches, and
    ///   `.ambiguous` (naming some of them) when more than one does.
    public func resolve(_ reference: JobReference) throws -> String {
        switch reference {
        case .id(let id):
            return id
        case .last:
            guard let id = try newestJobID() else { throw JobStoreError.notFound(id: "last") }
            return id
        case .piece(let piece):
            // The prefix is a range on the primary key. An ending of 8 or more
            // characters goes through the index of the ids' last 8
            // (migration 7); a shorter one is a scan of the ids.
            let limit = Int64(JobStoreError.ambiguousExamples + 1)
            var values: [SQLiteStatement.Value] = [.text(piece), .integer(Int64(piece.count)), .integer(limit)]
            var ending = "substr(id, -?2) = ?1"
            if piece.count >= Self.indexedEnding {
                ending = "substr(id, -8) = ?4 AND " + ending
                values.append(.text(String(piece.suffix(Self.indexedEnding))))
            }
            let matches = try connection.statement("""
                SELECT id FROM (SELECT id FROM jobs WHERE id >= ?1 AND id < ?1 || 'z' LIMIT ?3)
                UNION SELECT id FROM (SELECT id FROM jobs WHERE \(ending) LIMIT ?3) ORDER BY id LIMIT ?3
                """).rows(values) { $0.text(0) }
            switch matches.count {
            case 0: throw JobStoreError.notFound(id: piece)
            case 1: return matches[0]
            default: throw JobStoreError.ambiguous(piece, matches: matches)
            }
        }
    }
}
