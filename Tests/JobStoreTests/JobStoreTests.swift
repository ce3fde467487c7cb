import Jobs
@testable import JobStore
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A store in a temporary folder.
func makeStore(_ folder: TemporaryDirectory) throws -> JobStore {
    try JobStore(path: folder.file("jobs.sqlite3"))
}

func newJob(_ id: String, priority: Int = 0, images: Int = 1, prompt: String = "a lighthouse", labels: [String] = [], key: String? = nil, at time: Int64 = 1_000) -> NewJob {
    NewJob(id: id, priority: priority, parameters: #"{"prompt":"\#(prompt)"}"#, prompt: prompt, labels: labels, idempotencyKey: key, imageCount: images, createdAt: time)
}

@Suite struct JobStoreTests {
    @Test func theDatabaseIsPrivateVersionedAndInWALMode() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        #expect(try store.connection.userVersion == Schema.migrations.count)
        #expect(try store.connection.statement("PRAGMA journal_mode").first { $0.text(0) } == "wal")
        #expect(try store.connection.statement("PRAGMA foreign_keys").first { $0.int(0) } == 1)
        #expect(try store.connection.statement("PRAGMA journal_size_limit").first { $0.int(0) } == 4 << 20)
        _ = try store.insert(newJob("01"))
        #expect(try FileSystem.status(folder.file("jobs.sqlite3"))?.octalPermissions == "0600")
        #expect(try FileSystem.status(folder.file("jobs.sqlite3-wal"))?.octalPermissions == "0600")
        // Opening again migrates nothing and keeps the data.
        let again = try makeStore(folder)
        #expect(try again.job("01") != nil)
    }

    @Test func aNewerSchemaIsRefusedWithAMessage() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try makeStore(folder).connection.execute("PRAGMA user_version = 99")
        #expect(throws: JobStoreError.newerSchema(found: 99, known: Schema.migrations.count, path: folder.file("jobs.sqlite3"))) {
            _ = try makeStore(folder)
        }
        #expect(JobStoreError.newerSchema(found: 99, known: 1, path: "/x").description.contains("move the file away"))
    }

    @Test func anUnwritableFolderIsAClearError() throws {
        #expect {
            _ = try JobStore(path: "/nonexistent-folder/jobs.sqlite3")
        } throws: { error in
            (error as? SQLiteError)?.description.contains("/nonexistent-folder/jobs.sqlite3") == true
        }
    }

    @Test func insertsJobsWithAnImageRowPerImageInRequestsOfFive() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        guard case .created(let job, let position) = try store.insert(newJob("01", images: 12, labels: ["b", "a", "a"])) else {
            Issue.record("not created")
            return
        }
        #expect(position == 0)
        #expect(job.state == .queued)
        #expect(job.labels == ["a", "b"])
        #expect(job.images.count == 12)
        #expect(job.images.map(\.request) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2])
        #expect(job.images.allSatisfy { $0.state == .pending })
        guard case .created(_, let second) = try store.insert(newJob("02")) else { return }
        #expect(second == 1)
        guard case .created(_, let urgent) = try store.insert(newJob("03", priority: 5)) else { return }
        #expect(urgent == 0, "a higher priority goes first")
        #expect(throws: SQLiteError.self, "image_count is checked by the schema too") { _ = try store.insert(newJob("04", images: 101)) }
    }

    @Test func anIdempotencyKeyGivesBackTheSameJob() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        let first = try store.insert(newJob("01", key: "client-7"))
        let again = try store.insert(newJob("02", key: "client-7"))
        #expect(again == .existing(first.job))
        #expect(try store.job("02") == nil)
    }

    @Test func listsNewestFirstWithFiltersAndPages() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        _ = try store.insert(newJob("01", prompt: "a red fox", labels: ["animals"]))
        _ = try store.insert(newJob("02", prompt: "100% cotton", labels: ["things"]))
        _ = try store.insert(newJob("03", prompt: "A RED CAR", labels: ["things"]))
        try store.markRunning("03", now: 2_000)
        #expect(try store.list(.init()).map(\.id) == ["03", "02", "01"])
        #expect(try store.list(.init(state: .queued)).map(\.id) == ["02", "01"])
        #expect(try store.list(.init(label: "things")).map(\.id) == ["03", "02"])
        #expect(try store.list(.init(text: "red")).map(\.id) == ["03", "01"], "case-insensitive")
        #expect(try store.list(.init(text: "0%")).map(\.id) == ["02"], "% is literal")
        #expect(try store.list(.init(text: "_")).isEmpty, "_ is literal")
        #expect(try store.list(.init(limit: 2)).map(\.id) == ["03", "02"])
        #expect(try store.list(.init(limit: 2, before: "02")).map(\.id) == ["01"])
        #expect(try store.counts() == [.queued: 2, .running: 1])
    }

    /// Summaries are the listing's jobs, read in one query: the same jobs
    /// for every filter, each with its saved images counted.
    @Test func summariesAreTheListedJobsWithTheirSavedImagesCounted() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        _ = try store.insert(newJob("01", images: 3, prompt: "a red fox", labels: ["animals"], at: 1_001))
        _ = try store.insert(newJob("02", images: 2, prompt: "100% cotton", labels: ["things"], at: 1_002))
        _ = try store.insert(newJob("03", images: 7, prompt: "A RED CAR", labels: ["things"], at: 1_003))
        try store.markRunning("03", now: 2_000)
        try store.recordGenerated("03", request: 0, urls: ["u0", "u1", "u2", "u3", "u4"], now: 2_100)
        try store.recordSaved("03", index: 0, path: "/out/0", now: 2_200)
        try store.recordSaved("03", index: 4, path: "/out/4", now: 2_200)
        func expected(_ record: JobRecord) -> JobSummaryRecord {
            JobSummaryRecord(
                id: record.id, state: record.state, imageCount: record.imageCount, imagesDone: record.imagesDone, createdAt: record.createdAt,
                prompt: record.prompt
            )
        }
        let queries: [JobQuery] = [
            .init(), .init(state: .queued), .init(state: .running), .init(label: "things"), .init(text: "red"), .init(search: "cotton"),
            .init(limit: 2), .init(limit: 2, before: "02"), .init(limit: 0),
        ]
        for query in queries {
            #expect(try store.summaries(query) == store.list(query).map(expected), "\(query)")
        }
        let running = try #require(try store.summaries(.init(state: .running)).first)
        #expect(running.imagesDone == 2 && running.imageCount == 7 && running.createdAt == 1_003 && running.prompt == "A RED CAR")
        #expect(try store.summaries(.init()).map(\.imagesDone) == [2, 0, 0])
    }

    @Test func aJobRunsGeneratesSavesAndSucceeds() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        _ = try store.insert(newJob("01", images: 7))
        try store.markRunning("01", now: 2_000)
        try store.recordGenerated("01", request: 1, urls: ["u5", "u6"], now: 2_100)
        try store.recordGenerated("01", request: 0, urls: ["u0", "u1", "u2", "u3", "u4"], now: 2_200)
        try store.recordSaved("01", index: 6, path: "/out/01-7.png", now: 2_300)
        var job = try #require(try store.job("01"))
        #expect(job.images[5].url == "u5")
        #expect(job.images[6].state == .saved)
        #expect(job.imagesDone == 1)
        #expect(job.startedAt == 2_000)
        for index in 0..<6 { try store.recordSaved("01", index: index, path: "/out/\(index)", now: 2_400) }
        try store.finish("01", failure: nil, now: 2_500)
        job = try #require(try store.job("01"))
        #expect(job.state == .succeeded)
        #expect(job.finishedAt == 2_500)
        #expect(job.imagesDone == 7)
        #expect(throws: JobStoreError.wrongState(id: "01", state: .succeeded, action: "cancelled")) { _ = try store.cancel("01", now: 3_000) }
        #expect(throws: JobStoreError.notFound(id: "nope")) { try store.markRunning("nope", now: 1) }
    }

    /// A failure kind this daemon does not know (a newer daemon's, a hand
    /// edit) is not read as one it knows: the job says what was stored.
    @Test func anUnknownStoredFailureKindReadsAsACorruptJobSayingSo() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        _ = try store.insert(newJob("01", images: 1))
        try store.finish("01", failure: JobFailure(kind: .permanent, message: "gone"), now: 2_000)
        #expect(try store.job("01")?.error == JobFailure(kind: .permanent, message: "gone"))
        try store.connection.execute("UPDATE jobs SET error_kind = 'melted' WHERE id = '01'")
        #expect(try store.job("01")?.error == JobFailure(
            kind: .corruptJob, message: "the stored failure kind 'melted' is not one this daemon knows: gone"
        ))
    }

    @Test func usageIsSummedPerDayAndBackendAndOutlivesTheJob() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        try store.recordUsage(backend: "forge", jobID: "01", day: "2026-12-01", images: 4, milliseconds: 9_000, now: 1)
        try store.recordUsage(backend: "forge", jobID: "02", day: "2026-12-02", images: 3, milliseconds: 5_500, now: 2)
        try store.recordUsage(backend: "forge", jobID: "03", day: "2026-12-02", images: 1, milliseconds: 500, now: 3)
        try store.recordUsage(backend: "visioncraft", jobID: "04", day: "2026-12-02", images: 5, milliseconds: 2_000, now: 4)
        #expect(try store.usage(from: "2026-12-01") == [
            JobStore.DailyUsage(day: "2026-12-02", backend: "forge", requests: 2, images: 4, milliseconds: 6_000),
            JobStore.DailyUsage(day: "2026-12-02", backend: "visioncraft", requests: 1, images: 5, milliseconds: 2_000),
            JobStore.DailyUsage(day: "2026-12-01", backend: "forge", requests: 1, images: 4, milliseconds: 9_000),
        ])
        #expect(try store.usage(from: "2026-12-02", backend: "forge").map(\.images) == [4])
        #expect(try store.images(of: "forge", on: "2026-12-02") == 4)
        #expect(try store.images(of: "forge", on: "2026-11-30") == 0)
        #expect(try store.images(of: "forge", inMonth: "2026-12") == 8)
        #expect(try store.images(of: "forge", inMonth: "2026-11") == 0)
    }

    @Test func reportedTokensAndTimesAreSummedWhereReportedAndAbsentWhereNone() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        try store.recordUsage(
            backend: "openai", jobID: "01", day: "2026-12-02", images: 2, milliseconds: 9_000, tokens: TokenCounts(input: 10, output: 544, total: 554), now: 1
        )
        try store.recordUsage(
            backend: "openai", jobID: "02", day: "2026-12-02", images: 1, milliseconds: 4_000, tokens: TokenCounts(input: 6, output: 272, total: 278), now: 2
        )
        // A dall-e model on the same backend reports none: counted as a request, adding no token.
        try store.recordUsage(backend: "openai", jobID: "03", day: "2026-12-02", images: 1, milliseconds: 3_000, now: 3)
        try store.recordUsage(backend: "openai", jobID: "04", day: "2026-12-01", images: 1, milliseconds: 3_000, now: 4)
        // A server that reports only a total.
        try store.recordUsage(backend: "local", jobID: "05", day: "2026-12-02", images: 1, milliseconds: 700, tokens: TokenCounts(total: 40), now: 5)
        // ComfyUI's own execution time stands for the request's; without it, the daemon's measure.
        try store.recordUsage(backend: "comfy", jobID: "06", day: "2026-12-02", images: 1, milliseconds: 30_000, backendMilliseconds: 4_250, now: 6)
        try store.recordUsage(backend: "comfy", jobID: "07", day: "2026-12-02", images: 1, milliseconds: 2_000, now: 7)
        #expect(try store.usage(from: "2026-12-01") == [
            JobStore.DailyUsage(day: "2026-12-02", backend: "comfy", requests: 2, images: 2, milliseconds: 6_250),
            JobStore.DailyUsage(day: "2026-12-02", backend: "local", requests: 1, images: 1, milliseconds: 700, tokens: TokenCounts(total: 40)),
            JobStore.DailyUsage(
                day: "2026-12-02", backend: "openai", requests: 3, images: 4, milliseconds: 16_000, tokens: TokenCounts(input: 16, output: 816, total: 832)
            ),
            JobStore.DailyUsage(day: "2026-12-01", backend: "openai", requests: 1, images: 1, milliseconds: 3_000),
        ])
    }

    @Test func migration11KeepsTheUsageRecordedBeforeWithNothingReported() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        do {
            // A version-10 database with usage, as the previous release left it.
            let connection = try SQLiteConnection(path: folder.file("jobs.sqlite3"))
            let fullText = try Schema.hasFullTextSearch(connection)
            for (number, migration) in Schema.migrations.prefix(10).enumerated() {
                try connection.execute(number + 1 == Schema.fullTextFallback.version && !fullText ? Schema.fullTextFallback.sql : migration)
            }
            try connection.execute("PRAGMA user_version = 10")
            try connection.execute("""
                INSERT INTO usage (backend, job_id, day, at, images, milliseconds) VALUES
                    ('openai', '01', '2026-12-01', 1, 2, 9000), ('openai', '02', '2026-12-01', 2, 1, 1500)
                """)
        }
        let store = try makeStore(folder)
        #expect(try store.connection.userVersion == 11)
        #expect(try store.connection.statement("""
            SELECT count(*) FROM usage WHERE input_tokens IS NULL AND output_tokens IS NULL AND total_tokens IS NULL AND backend_milliseconds IS NULL
            """).first { $0.int(0) } == 2)
        try store.recordUsage(
            backend: "openai", jobID: "03", day: "2026-12-01", images: 1, milliseconds: 500, tokens: TokenCounts(input: 5, output: 272, total: 277), now: 3
        )
        #expect(try store.usage(from: "2026-12-01") == [
            JobStore.DailyUsage(
                day: "2026-12-01", backend: "openai", requests: 3, images: 4, milliseconds: 11_000, tokens: TokenCounts(input: 5, output: 272, total: 277)
            ),
        ], "the old rows count their images and time, and no token")
        #expect(try store.images(of: "openai", on: "2026-12-01") == 4)
    }

    @Test func failuresRetriesAndCancellation() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        _ = try store.insert(newJob("01", images: 3))
        try store.markRunning("01", now: 2_000)
        try store.recordRetry("01", failure: JobFailure(kind: .transient, message: "503"), nextAttemptAt: 9_000, countsAsAttempt: true, now: 2_100)
        try store.recordRetry("01", failure: JobFailure(kind: .rateLimited, message: "429"), nextAttemptAt: 9_500, countsAsAttempt: false, now: 2_200)
        var job = try #require(try store.job("01"))
        #expect(job.state == .queued)
        #expect(job.attempts == 1, "a rate limit costs no attempt")
        #expect(job.nextAttemptAt == 9_500)
        #expect(job.error == JobFailure(kind: .rateLimited, message: "429"))
        #expect(try store.runnable(now: 9_000, limit: 10).isEmpty, "not before its time")
        #expect(try store.nextRetryTimes() == ["visioncraft": 9_500])
        var other = newJob("02")
        other.backend = "forge"
        _ = try store.insert(other)
        try store.markRunning("02", now: 2_300)
        try store.recordRetry("02", failure: JobFailure(kind: .transient, message: "503"), nextAttemptAt: 12_000, countsAsAttempt: true, now: 2_400)
        #expect(try store.nextRetryTimes() == ["visioncraft": 9_500, "forge": 12_000], "each backend's own, for backends.list")
        _ = try store.cancel("02", now: 2_500)
        #expect(try store.runnable(now: 9_500, limit: 10).map(\.id) == ["01"])

        try store.markRunning("01", now: 9_600)
        try store.recordGenerated("01", request: 0, urls: ["u0", "u1"], now: 9_700)
        try store.recordSaved("01", index: 0, path: "/out/0", now: 9_800)
        try store.finish("01", failure: JobFailure(kind: .storage, message: "disk full"), now: 9_900)
        job = try #require(try store.job("01"))
        #expect(job.state == .failed)
        #expect(job.images.map(\.state) == [.saved, .failed, .failed])

        job = try store.retry("01", now: 10_000)
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
        #expect(job.error == nil)
        #expect(job.images.map(\.state) == [.saved, .generated, .pending], "saved stays; a known URL is downloaded again, not made again")
        #expect(job.images.map(\.url) == ["u0", "u1", nil])

        let before = try store.cancel("01", now: 11_000)
        #expect(before.state == .queued)
        #expect(try store.job("01")?.state == .cancelled)
        #expect(try store.retry("01", now: 12_000).state == .queued)
        #expect(throws: JobStoreError.wrongState(id: "01", state: .queued, action: "retried (only failed or cancelled jobs can be)")) {
            _ = try store.retry("01", now: 13_000)
        }
    }

    /// The position a submit answers with is what `position(of:)` says:
    /// with jobs of several priorities queued, one of them no longer queued,
    /// an older id inserted late, and the limit reached.
    @Test func anInsertedJobsPositionIsWhatPositionOfSays() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        let priorities = [0, 5, 0, -3, 5, 9, 0, -3, 2, 0]
        for (number, priority) in priorities.enumerated() {
            let id = "B" + String(number + 10)
            guard case .created(let job, let position) = try store.insert(newJob(id, priority: priority)) else {
                Issue.record("not created")
                return
            }
            #expect(position == (try store.position(of: job)), "\(id) at priority \(priority)")
            if number == 4 { try store.markRunning("B11", now: 2_000) }  // no longer queued: not ahead of anyone
        }
        guard case .created(let late, let latePosition) = try store.insert(newJob("A00", priority: 0)) else {
            Issue.record("not created")
            return
        }
        #expect(latePosition == (try store.position(of: late)), "an older id")
        #expect(latePosition == 3, "behind the queued jobs of priority 5, 9 and 2 (B11 runs), ahead of the other 0s")

        for number in 0..<(JobStore.positionLimit + 5) {
            _ = try store.insert(newJob("C" + String(10_000 + number), priority: 1))
        }
        guard case .created(let deep, let deepPosition) = try store.insert(newJob("D0", priority: 1)) else {
            Issue.record("not created")
            return
        }
        #expect(deepPosition == JobStore.positionLimit)
        #expect(deepPosition == (try store.position(of: deep)))
    }

    /// A run of submits at one priority counts the queue once (`insert`
    /// remembers the last position): each position still matches a count of
    /// the queue across what may change it in between: a job that starts, an
    /// insert undone by its savepoint, another priority, an older id, and a
    /// failed commit.
    @Test func positionsRememberedAcrossSubmitsMatchTheQueue() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        var number = 100
        func insert(_ prefix: String = "K", priority: Int = 0) throws -> Int {
            number += 1
            guard case .created(let job, let position) = try store.insert(newJob(prefix + String(number), priority: priority)) else {
                Issue.record("not created")
                return -1
            }
            #expect(position == (try store.position(of: job)), "\(job.id) at priority \(priority)")
            return position
        }
        #expect(try (0..<5).map { _ in try insert() } == [0, 1, 2, 3, 4])
        try store.markRunning("K101", now: 2_000)
        #expect(try insert() == 4, "K101 started: one fewer ahead")
        struct Undone: Error {}
        #expect(throws: Undone.self) {
            try store.connection.savepoint {
                _ = try insert()
                throw Undone()
            }
        }
        #expect(try insert() == 5, "the undone insert is not ahead")
        #expect(try insert(priority: 3) == 0)
        #expect(try insert() == 7, "behind the priority-3 job")
        #expect(try insert("A") == 0 + 1, "an older id at priority 0: behind K* of priority 3 only")
        #expect(try insert() == 9)
        try store.connection.statement("BEGIN").run()
        _ = try insert()
        store.connection.rollBack()
        #expect(try insert() == 10, "behind K112; the rolled-back insert is not ahead")
    }

    @Test func runnableJobsComeByPriorityThenFIFO() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        for (id, priority) in [("01", 0), ("02", 1), ("03", 0), ("04", 1)] {
            _ = try store.insert(newJob(id, priority: priority))
        }
        #expect(try store.runnable(now: 5_000, limit: 10).map(\.id) == ["02", "04", "01", "03"])
        #expect(try store.runnable(now: 5_000, limit: 1).map(\.id) == ["02"])
    }

    @Test func interruptedJobsGoBackToTheQueueWithTheirImages() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        _ = try store.insert(newJob("01", images: 2))
        _ = try store.insert(newJob("02"))
        try store.markRunning("01", now: 2_000)
        try store.recordGenerated("01", request: 0, urls: ["u0", "u1"], now: 2_100)
        try store.recordSaved("01", index: 0, path: "/out/0", now: 2_200)
        let reopened = try makeStore(folder)
        #expect(try reopened.requeueInterrupted(now: 3_000, maximumAttempts: 8) == JobStore.Interrupted(requeued: 1, failed: []))
        let job = try #require(try reopened.job("01"))
        #expect(job.state == .queued)
        #expect(job.images.map(\.state) == [.saved, .generated])
        #expect(job.images[1].url == "u1")
    }
}

@Suite struct InterruptedJobStoreTests {
    @Test func eachInterruptionCountsAnAttemptAndTheLimitFailsTheJobAsCrashed() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        _ = try store.insert(newJob("01", images: 2))
        _ = try store.insert(newJob("02"))
        _ = try store.insert(newJob("03"))
        try store.markRunning("01", now: 2_000)
        try store.recordGenerated("01", request: 0, urls: ["u0", "u1"], now: 2_100)
        try store.recordSaved("01", index: 0, path: "/out/0", now: 2_200)
        try store.markRunning("02", now: 2_000)
        // 01 had failed twice before; 02 never.
        try store.recordRetry("01", failure: JobFailure(kind: .transient, message: "x"), nextAttemptAt: nil, countsAsAttempt: true, now: 2_300)
        try store.markRunning("01", now: 2_400)
        try store.recordRetry("01", failure: JobFailure(kind: .transient, message: "x"), nextAttemptAt: nil, countsAsAttempt: true, now: 2_500)
        try store.markRunning("01", now: 2_600)

        let outcome = try makeStore(folder).requeueInterrupted(now: 3_000, maximumAttempts: 3)
        #expect(outcome == JobStore.Interrupted(requeued: 1, failed: ["01"]))
        let failed = try #require(try store.job("01"))
        #expect(failed.state == .failed)
        #expect(failed.attempts == 3)
        #expect(failed.error?.kind == .crashed)
        #expect(failed.images.map(\.state) == [.saved, .failed], "the saved image stays saved")
        let requeued = try #require(try store.job("02"))
        #expect(requeued.state == .queued)
        #expect(requeued.attempts == 1)
        #expect(requeued.error?.kind == .crashed)
        #expect(try store.job("03")?.attempts == 0, "a job that was not running counts nothing")
    }

    @Test func aGracefulStopRequeuesWithoutCountingAnAttempt() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        _ = try store.insert(newJob("01"))
        try store.markRunning("01", now: 2_000)
        #expect(try store.requeueStopped(now: 2_500) == 1)
        #expect(try store.requeueInterrupted(now: 3_000, maximumAttempts: 1) == JobStore.Interrupted())
        let job = try #require(try store.job("01"))
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
        #expect(job.error == nil)
    }
}

@Suite struct QueuePauseStoreTests {
    @Test func aPauseKeepsTheLaterDeadlineAndOutlivesTheConnection() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try makeStore(folder)
        #expect(try store.pause("upstream", now: 1_000) == nil)
        try store.recordPause("upstream", JobStore.Pause(until: 5_000, reason: "first"))
        try store.recordPause("upstream", JobStore.Pause(until: 3_000, reason: "shorter"))
        #expect(try store.pause("upstream", now: 1_000) == JobStore.Pause(until: 5_000, reason: "first"))
        try store.recordPause("upstream", JobStore.Pause(until: 9_000, reason: "longer"))
        let reopened = try makeStore(folder)
        #expect(try reopened.pause("upstream", now: 1_000) == JobStore.Pause(until: 9_000, reason: "longer"))
        #expect(try reopened.pause("upstream", now: 9_000) == nil, "a pause that has passed is no pause")
        #expect(try reopened.pause("other", now: 1_000) == nil)
    }
}

/// A start never trusts a damaged database without a word (`DatabaseCheck`).
@Suite struct DatabaseCheckTests {
    /// A checkpointed database of 300 jobs, closed.
    static func fill(_ path: String) throws {
        let store = try JobStore(path: path)
        try store.connection.transaction {
            for index in 0..<300 {
                try store.insertRows(newJob("j" + String(100_000 + index), images: 3, prompt: "job number \(index) " + String(repeating: "word ", count: 40)))
            }
        }
    }

    static func damage(_ path: String, pages: [Int], pageSize: Int = 4096) throws {
        let fd = try FileDescriptor.open(path, O_RDWR)
        defer { try? fd.close() }
        var random = SystemRandomNumberGenerator()
        for page in pages {
            let garbage = (0..<pageSize).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = garbage.withUnsafeBytes { pwrite(fd.rawValue, $0.baseAddress, pageSize, off_t(page * pageSize)) }
        }
    }

    static func problem(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as JobStoreError {
            guard case .damaged(_, let problem) = error else { return "not damaged: \(error)" }
            return problem
        } catch {
            return "not a JobStoreError: \(error)"
        }
    }

    @Test func aSoundDatabaseAndANewOnePass() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("jobs.sqlite3")
        #expect(Self.problem { _ = try JobStore(path: path, verify: true) } == nil, "a new database")
        try Self.fill(path)
        #expect(Self.problem { _ = try JobStore(path: path, verify: true) } == nil)
    }

    @Test func anEmptyFileIsDamaged() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("jobs.sqlite3")
        try Self.fill(path)
        try FileSystem.writeFileAtomically(path, [])
        #expect(Self.problem { _ = try JobStore(path: path, verify: true) }?.contains("the file is empty (0 bytes)") == true)
        #expect(Self.problem { _ = try JobStore(path: path) } == nil, "without verify: opened as a new database")
    }

    @Test func aWriteAheadLogWithoutItsDatabaseIsDamaged() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("jobs.sqlite3")
        try FileSystem.writeFileAtomically(path + "-wal", [UInt8](repeating: 1, count: 4096))
        #expect(Self.problem { _ = try JobStore(path: path, verify: true) }?.contains("the file is missing but its write-ahead log") == true)
        #expect(try FileSystem.status(path) == nil, "nothing was created")
    }

    @Test func garbagePagesAreFound() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("jobs.sqlite3")
        try Self.fill(path)
        let pages = Int(try #require(try FileSystem.status(path)).size) / 4096
        #expect(pages > 20)
        try Self.damage(path, pages: [pages / 2, pages / 2 + 1, pages / 2 + 2])
        let problem = Self.problem { _ = try JobStore(path: path, verify: true) }
        #expect(problem?.contains("SQLite's quick check found") == true, "\(problem ?? "nil")")
    }

    @Test func aFileThatIsNotADatabaseIsDamaged() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("jobs.sqlite3")
        try FileSystem.writeFileAtomically(path, Array(String(repeating: "not a database\n", count: 500).utf8))
        #expect(Self.problem { _ = try JobStore(path: path, verify: true) }?.contains("not an SQLite database") == true)
    }

    @Test func theMessageSaysWhereWhatAndHowToRecover() {
        let text = JobStoreError.damaged(path: "/s/jobs.sqlite3", problem: "the file is empty (0 bytes)").description
        #expect(text.hasPrefix("the job database /s/jobs.sqlite3 is damaged: the file is empty (0 bytes)."))
        #expect(text.contains("'sqlite3 /s/jobs.sqlite3 .recover | sqlite3 /s/jobs.sqlite3.recovered'"))
        #expect(text.contains("a backup"))
        #expect(text.contains("--skip-database-check"))
    }
}
