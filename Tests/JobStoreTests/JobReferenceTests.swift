@testable import JobStore
import Testing
import TestSupport

/// Short ids, any case and `last`, as git takes commit prefixes.
@Suite struct JobReferenceTests {
    static let first = "01JF3K8Y2Z4W5V6T7S8R9Q0P1N"
    static let second = "01JF3K8Y2Z9A8B7C6D5E4F3G2H"
    static let third = "01JG000000AAAAAAAABBBBBBBB"

    func store() throws -> (JobStore, TemporaryDirectory) {
        let folder = try TemporaryDirectory()
        let store = try makeStore(folder)
        for id in [Self.first, Self.second, Self.third] { _ = try store.insert(newJob(id)) }
        return (store, folder)
    }

    func resolve(_ text: String, in store: JobStore) throws -> String {
        try store.resolve(JobReference(parsing: text))
    }

    @Test func aUniquePrefixOrEndingInAnyCaseNamesItsJob() throws {
        let (store, folder) = try store()
        defer { folder.remove() }
        #expect(try resolve("01JG", in: store) == Self.third)
        #expect(try resolve("01jf3k8y2z4", in: store) == Self.first)
        // The last 8 characters, as the Emacs integration shows a job.
        #expect(try resolve("9Q0P1N", in: store) == Self.first)
        #expect(try resolve("f3g2h", in: store) == Self.second)
        // Crockford's readings: O is 0, I and L are 1.
        #expect(try resolve("9QOPlN", in: store) == Self.first)
        #expect(try resolve(Self.second.lowercased(), in: store) == Self.second)
    }

    @Test func lastIsTheNewestJob() throws {
        let (store, folder) = try store()
        defer { folder.remove() }
        #expect(try resolve("last", in: store) == Self.third)
        #expect(try resolve("LAST", in: store) == Self.third)
        let emptyFolder = try TemporaryDirectory()
        defer { emptyFolder.remove() }
        let empty = try makeStore(emptyFolder)
        #expect(throws: JobStoreError.notFound(id: "last")) { try resolve("last", in: empty) }
        #expect(JobStoreError.notFound(id: "last").description.contains("no job yet"))
    }

    @Test func anAmbiguousPieceNamesTheJobsItMatches() throws {
        let (store, folder) = try store()
        defer { folder.remove() }
        #expect(throws: JobStoreError.ambiguous("01JF", matches: [Self.first, Self.second])) { try resolve("01jf", in: store) }
        let message = JobStoreError.ambiguous("01JF", matches: [Self.first, Self.second]).description
        #expect(message.contains(Self.first) && message.contains(Self.second) && message.contains("give more characters"))
        // A piece that starts one id and ends another is ambiguous too.
        let endsInIt = "01JH" + String(repeating: "0", count: 18) + "01JG"
        _ = try store.insert(newJob(endsInIt))
        #expect(throws: JobStoreError.ambiguous("01JG", matches: [Self.third, endsInIt].sorted())) {
            try resolve("01jg", in: store)
        }
        #expect(throws: JobStoreError.notFound(id: "ZZZZ")) { try resolve("zzzz", in: store) }
    }

    @Test func textThatCannotBeAnIdIsRefusedWithTheReason() throws {
        for (text, reason) in [
            ("01J", "at least 4"), ("01JF-3K", "letters and digits"), ("01JFU", "never hold U"),
            ("81JF3K8Y2Z4W5V6T7S8R9Q0P1N", "26 characters"), ("01JF3K8Y2Z4W5V6T7S8R9Q0P1NX", "26 characters"), ("", "at least 4"),
        ] {
            #expect {
                _ = try JobReference(parsing: text)
            } throws: { error in
                "\(error)".contains(reason) && "\(error)".contains("'\(text)' is not a job id")
            }
        }
        #expect(try JobReference(parsing: Self.first) == .id(Self.first))
    }

    @Test func piecesResolveAmongJobsMadeInTheSameSecond() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        let generator = JobIDGenerator()
        var ids: [String] = []
        for index in 0..<300 { ids.append(generator.next(milliseconds: 1_700_000_000_000 + UInt64(index % 7))) }
        try store.connection.statement("BEGIN").run()
        for id in ids { _ = try store.insert(newJob(id)) }
        try store.connection.statement("COMMIT").run()
        let target = ids[123]
        #expect(try resolve(String(target.suffix(8)), in: store) == target)
        // An ending of 8 or more is a lookup in the index of the last 8.
        let plan = try store.connection.statement(
            "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE substr(id, -8) = ? AND substr(id, -?) = ?"
        ).rows([.text("ABCDEFGH"), .integer(8), .text("ABCDEFGH")]) { $0.text(3) }
        #expect(plan.joined().contains("jobs_by_id_ending"), "\(plan)")
        #expect(try resolve(String(target.suffix(12)), in: store) == target)
        // Their first 10 characters are the millisecond they share.
        #expect(throws: JobStoreError.self) { try resolve(String(target.prefix(10)), in: store) }
    }
}
