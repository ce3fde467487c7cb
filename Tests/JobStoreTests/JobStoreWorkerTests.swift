@testable import JobStore
import Posix
import Testing
import TestSupport

@Suite struct JobStoreWorkerTests {
    @Test func concurrentSubmitsShareCommits() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let worker = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        defer { worker.close() }
        let ids = JobIDGenerator()
        let count = 200
        let created = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let id = ids.next()
                    return try await worker.perform { store in try store.insert(newJob(id)).job.id }
                }
            }
            var all: [String] = []
            for try await id in group { all.append(id) }
            return all
        }
        #expect(Set(created).count == count)
        #expect(worker.batchesCommitted < count, "\(worker.batchesCommitted) commits for \(count) inserts")
        // Another connection sees every acknowledged job: they are committed.
        let reader = try JobStore(path: folder.file("jobs.sqlite3"))
        #expect(try reader.counts()[.queued] == count)
    }

    /// The state folder deleted under a running store: the next commit
    /// writes everything the open connection holds to a new file first, so
    /// jobs acknowledged before and after the deletion survive a reopen.
    @Test func aDeletedDatabaseIsWrittenAgainWithEveryJob() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("state/jobs.sqlite3")
        try FileSystem.makeDirectories(folder.file("state"), permissions: 0o700)
        let messages = ThreadCondition<[String]>([])
        let worker = try JobStoreWorker(path: path) { message in messages.update { $0.append(message) } }
        defer { worker.close() }
        _ = try await worker.perform { store in try store.insert(newJob("01A")) }
        folder.remove()  // everything, the folder included
        #expect(try FileSystem.status(path) == nil)
        _ = try await worker.perform { store in try store.insert(newJob("01B")) }
        #expect(try FileSystem.status(path)?.octalPermissions == "0600")
        #expect(try FileSystem.status(folder.file("state"))?.octalPermissions == "0700")
        let reader = try JobStore(path: path)
        #expect(try reader.job("01A") != nil, "acknowledged before the deletion")
        #expect(try reader.job("01B") != nil, "acknowledged after it")
        #expect(messages.read { $0 }.count == 1)
        #expect(messages.read { $0 }.first?.contains("was deleted while the daemon ran") == true)
        // Nothing more to restore: no second message.
        _ = try await worker.perform { store in try store.insert(newJob("01C")) }
        #expect(messages.read { $0 }.count == 1)
        #expect(try reader.job("01C") != nil)
    }

    /// A batch of operations that ask for no sync commits without one, and
    /// is committed all the same; the next that asks for one syncs again.
    @Test func unsyncedCommitsAreCommitted() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let worker = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        defer { worker.close() }
        // Read with a statement prepared anew: SQLite answers this pragma as it prepares it.
        @Sendable func level(_ store: JobStore) throws -> Int? {
            try SQLiteStatement(database: store.connection.handle, sql: "PRAGMA synchronous").first { $0.int(0) }
        }
        let unsynced = try await worker.perform(synced: false) { store in
            _ = try store.insert(newJob("01A"))
            return try level(store)
        }
        #expect(unsynced == 1, "NORMAL")
        let synced = try await worker.perform { store in
            _ = try store.insert(newJob("01B"))
            return try level(store)
        }
        #expect(synced == 2, "FULL")
        let reader = try JobStore(path: folder.file("jobs.sqlite3"))
        #expect(try reader.job("01A") != nil)
        #expect(try reader.job("01B") != nil)
    }

    @Test func aFailingOperationLeavesItsBatchIntact() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let worker = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        defer { worker.close() }
        async let good = worker.perform { store in try store.insert(newJob("01")).job.id }
        async let bad: Void = worker.perform { store in
            _ = try store.insert(newJob("02"))
            try store.markRunning("nope", now: 1)  // throws after a write: the savepoint undoes it
        }
        async let alsoGood = worker.perform { store in try store.insert(newJob("03")).job.id }
        #expect(try await good == "01")
        var badError: (any Error)?
        do { try await bad } catch { badError = error }
        #expect(badError as? JobStoreError == .notFound(id: "nope"))
        #expect(try await alsoGood == "03")
        let ids = try await worker.perform { store in try store.list(.init()).map(\.id) }
        #expect(ids == ["03", "01"], "the failed operation's insert was undone, the others kept")
    }

    @Test func aClosedWorkerRefusesWork() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let worker = try JobStoreWorker(path: folder.file("jobs.sqlite3"))
        try worker.performBlocking { store in _ = try store.insert(newJob("01")) }
        worker.close()
        await #expect(throws: JobStoreError.closed) { try await worker.perform { store in try store.job("01") } }
    }
}
