import Jobs
@testable import JobStore
import Posix
import Testing
import TestSupport

/// Searching past prompts and pruning finished jobs.
@Suite struct HistoryTests {
    func store(with prompts: [String]) throws -> (TemporaryDirectory, JobStore) {
        let folder = try TemporaryDirectory()
        let store = try makeStore(folder)
        for (index, prompt) in prompts.enumerated() {
            _ = try store.insert(newJob(String(format2(index)), prompt: prompt, at: Int64(1_000 + index)))
        }
        return (folder, store)
    }

    func format2(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }

    func ids(_ store: JobStore, search: String) throws -> [String] {
        try store.list(JobQuery(search: search)).map(\.id)
    }

    @Test func searchesWordsAndPrefixesInAnyCaseNewestFirst() throws {
        let (folder, store) = try store(with: ["A red fox at dawn", "a blue whale", "Crème brûlée, foxes and (red:1.2) roses", "red"])
        defer { folder.remove() }
        #expect(store.hasFullTextIndex, "Debian's SQLite has FTS5")
        #expect(try ids(store, search: "red fox") == ["02", "00"], "every word, newest first; 'fox' also finds 'foxes'")
        #expect(try ids(store, search: "CREME") == ["02"], "case and accents do not matter")
        #expect(try ids(store, search: "whale OR fox") == [], "FTS5 operators are plain words here: no syntax errors from users")
        #expect(try ids(store, search: "\"unbalanced") == [], "quotes cannot break the query")
        #expect(try ids(store, search: "(red:1.2)") == ["02"], "A1111 weights: punctuation goes, the words and digits stay")
        #expect(try ids(store, search: "---").count == 4, "no words: no filter")
    }

    @Test func theIndexFollowsInsertsDeletesAndOldDatabases() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        do {
            // A version-2 database with jobs, as the previous release left it.
            let connection = try SQLiteConnection(path: folder.file("jobs.sqlite3"))
            for migration in Schema.migrations.prefix(2) { try connection.execute(migration) }
            try connection.execute("PRAGMA user_version = 2")
            try connection.execute("""
                INSERT INTO jobs (id, state, params, prompt, image_count, created_at, updated_at)
                VALUES ('01', 'succeeded', '{}', 'an old lighthouse', 1, 1, 1)
                """)
        }
        let store = try makeStore(folder)
        #expect(try ids(store, search: "lighthouse") == ["01"], "migration 3 indexes the jobs already there")
        _ = try store.insert(newJob("02", prompt: "a new lighthouse"))
        #expect(try ids(store, search: "lighthouse") == ["02", "01"])
        _ = try store.delete(ids: ["01"])
        #expect(try ids(store, search: "lighthouse") == ["02"])
        #expect(try store.connection.statement("SELECT count(*) FROM prompt_index").first { $0.int(0) } == 1)
        try store.connection.execute("INSERT INTO prompt_search (prompt_search) VALUES ('integrity-check')")
    }

    /// Submits write no index: a search catches up first, and a worker
    /// catches up every `promptIndexBatch` jobs, so the index never lags far.
    @Test func promptsAreIndexedInBatchesAndBeforeEverySearch() throws {
        let (folder, store) = try store(with: ["a red fox", "a red whale", "a blue fox"])
        defer { folder.remove() }
        func indexed() throws -> Int? { try store.connection.statement("SELECT count(*) FROM prompt_index").first { $0.int(0) } }
        #expect(try indexed() == 0, "inserts leave the index alone")
        _ = try store.cancel("01", now: 2_000)
        _ = try store.delete(ids: ["01"])  // never indexed: nothing to take out
        #expect(try ids(store, search: "red") == ["00"])
        #expect(try indexed() == 2)
        _ = try store.insert(newJob("03", prompt: "a red kite"))
        #expect(try ids(store, search: "red") == ["03", "00"], "the next search indexes the newer job")
        try store.connection.execute("INSERT INTO prompt_search (prompt_search) VALUES ('integrity-check')")

        let worker = try JobStoreWorker(path: folder.file("batched.sqlite3"))
        defer { worker.close() }
        let generator = JobIDGenerator()
        for index in 0..<(JobStore.promptIndexBatch + 10) {
            let id = generator.next()
            try worker.performBlocking { store in _ = try store.insert(newJob(id, prompt: "prompt \(index)")) }
        }
        let (rows, behind) = try worker.performBlocking { store in
            (try store.connection.statement("SELECT count(*) FROM prompt_index").first { $0.int(0) }, store.promptsBehind)
        }
        // The first commit catches up (with what a last run may have left),
        // then every promptIndexBatch jobs: 1 + 512 of 522 indexed.
        #expect(rows == 1 + JobStore.promptIndexBatch)
        #expect(behind == 9)
    }

    @Test func deletesOnlyFinishedJobsAllOrNothing() throws {
        let (folder, store) = try store(with: ["one", "two", "three"])
        defer { folder.remove() }
        try store.finish("00", failure: nil, now: 5_000)
        _ = try store.cancel("01", now: 9_000)
        #expect(throws: JobStoreError.wrongState(id: "02", state: .queued, action: "deleted (cancel it first)")) {
            _ = try store.delete(ids: ["00", "02"])
        }
        #expect(try store.job("00") != nil, "nothing deleted when one job cannot be")
        #expect(throws: JobStoreError.notFound(id: "zz")) { _ = try store.delete(ids: ["zz"]) }

        let pruned = try store.deleteFinished(before: 6_000)
        #expect(pruned.map(\.id) == ["00"], "finished before the time; the job cancelled later stays")
        #expect(pruned.first?.images.count == 1, "the images come back, for their files")
        #expect(try store.job("00") == nil)
        #expect(try store.connection.statement("SELECT count(*) FROM images WHERE job_id = '00'").first { $0.int(0) } == 0)
        #expect(try store.deleteFinished(before: 10_000).map(\.id) == ["01"])
        #expect(try store.list(JobQuery()).map(\.id) == ["02"])
    }

    @Test func withoutFTS5SearchesFallBackToEveryWordAsASubstring() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        do {
            // What migration 3 leaves where SQLite lacks FTS5.
            let connection = try SQLiteConnection(path: folder.file("jobs.sqlite3"))
            for migration in Schema.migrations.prefix(2) { try connection.execute(migration) }
            try connection.execute(Schema.fullTextFallback.sql)
            try connection.execute("PRAGMA user_version = 3")
        }
        let store = try makeStore(folder)
        #expect(!store.hasFullTextIndex)
        _ = try store.insert(newJob("01", prompt: "a red fox"))
        _ = try store.insert(newJob("02", prompt: "a red 100% whale"))
        #expect(try ids(store, search: "RED fox") == ["01"])
        #expect(try ids(store, search: "red") == ["02", "01"])
        #expect(try ids(store, search: "100%") == ["02"], "LIKE wildcards in a word are escaped")
    }
}
