import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a file that may not be one (`FileSystem.readRegularFile`) and
/// waiting for work that may never end (`onOwnThread(name:within:_:)`).
@Suite struct BoundedReadTests {
    /// Reads `path` on a thread of its own, failing (not hanging) if that
    /// takes a minute: the open of a FIFO without O_NONBLOCK never returns.
    func read(_ path: String, maximumBytes: Int = 1 << 20) async throws -> Result<[UInt8], FileReadError> {
        try await onOwnThread(name: "test-read", within: TestTime.scaled(.seconds(60))) {
            Result { () throws(FileReadError) in try FileSystem.readRegularFile(path, maximumBytes: maximumBytes) }
        }
    }

    @Test func aFIFOWithNoWriterIsRefusedAtOnceNotWaitedFor() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let fifo = folder.file("image.png")
        #expect(mkfifo(fifo, 0o600) == 0)
        let outcome = try await read(fifo)
        #expect(outcome == .failure(.notRegularFile(path: fifo, kind: .fifo)))
        #expect(outcome.failure?.description == "\(fifo) is a FIFO (named pipe), not a regular file")
    }

    @Test func devicesFoldersAndMissingFilesAreRefusedRegularFilesRead() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        #expect(try await read("/dev/null") == .failure(.notRegularFile(path: "/dev/null", kind: .characterDevice)))
        #expect(try await read(folder.path) == .failure(.notRegularFile(path: folder.path, kind: .directory)))
        guard case .failure(.system(let error)) = try await read(folder.file("missing")) else {
            Issue.record("a missing file is a system error")
            return
        }
        #expect(error.isNoSuchFile)
        try FileSystem.writeFileAtomically(folder.file("small"), [1, 2, 3])
        #expect(try await read(folder.file("small")) == .success([1, 2, 3]))
        #expect(try await read(folder.file("small"), maximumBytes: 3) == .success([1, 2, 3]), "at the limit exactly")
    }

    @Test func aFileOverTheLimitIsRefusedBeforeItIsRead() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // A sparse gigabyte: reading it would take a while and the memory.
        let huge = folder.file("huge")
        let fd = try FileDescriptor.open(huge, O_WRONLY | O_CREAT)
        #expect(ftruncate(fd.rawValue, 1 << 30) == 0)
        try fd.close()
        #expect(try await read(huge, maximumBytes: 8 << 20) == .failure(.tooLarge(path: huge, maximumBytes: 8 << 20)))
        #expect(try await read(huge, maximumBytes: 8 << 20).failure?.description == "\(huge) is larger than 8388608 bytes")
    }

    @Test func workThatDoesNotEndInTimeIsAbandoned() async throws {
        let release = ThreadCondition(false)
        let ended = ThreadCondition(false)
        defer { release.update { $0 = true } }
        // The work waits for the release below: the wait ends without it.
        await #expect(throws: AbandonedWork.timedOut(.milliseconds(100))) {
            try await onOwnThread(name: "test-stuck", within: .milliseconds(100)) {
                _ = release.wait { $0 }
                ended.update { $0 = true }
            }
        }
        #expect(ended.read { !$0 }, "while the work goes on")
        release.update { $0 = true }
        #expect(ended.wait(timeout: TestTime.scaled(.seconds(60))) { $0 }, "and ends when its call does")
        #expect(try await onOwnThread(name: "test-quick", within: .seconds(60)) { 42 } == 42, "work that ends is answered")
    }

    @Test func aCancelledWaitEndsAtOnce() async throws {
        let release = ThreadCondition(false)
        let entered = ThreadCondition(false)
        defer { release.update { $0 = true } }
        let waiting = Task {
            try await onOwnThread(name: "test-stuck", within: .seconds(600)) {
                entered.update { $0 = true }
                _ = release.wait { $0 }
            }
        }
        #expect(try await offPool { entered.wait(timeout: TestTime.scaled(.seconds(60))) { $0 } })
        let started = MonotonicInstant.now()
        waiting.cancel()
        await #expect(throws: AbandonedWork.cancelled) { try await waiting.value }
        #expect(started.elapsed < TestTime.scaled(.seconds(60)), "long before the 600 s limit")
        let never = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await onOwnThread(name: "test-never", within: .seconds(600)) { entered.update { $0 = false } }
        }
        await #expect(throws: AbandonedWork.cancelled, "cancelled before: nothing runs") { try await never.value }
        #expect(entered.read { $0 })
    }

    @Test func unfinishedThreadsAreCappedUntilTheirWorkReturns() async throws {
        let threads = UnfinishedThreads(limit: 1)
        #expect(try await threads.run(name: "test-quick", within: .seconds(60)) { 1 } == 1)
        #expect(threads.current == 0, "work that returned is counted off")
        // A thread given up on counts until it returns, and refuses more meanwhile.
        let release = ThreadCondition(false)
        defer { release.update { $0 = true } }
        await #expect(throws: AbandonedWork.timedOut(.milliseconds(50))) {
            _ = try await threads.run(name: "test-stuck", within: .milliseconds(50)) { _ = release.wait { $0 } }
        }
        #expect(threads.current == 1)
        #expect(try await threads.run(name: "test-refused", within: .seconds(60)) { 3 } == nil, "nothing starts at the limit")
        release.update { $0 = true }
        let drained = try await offPool {
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(60)))
            while threads.current > 0, MonotonicInstant.now() < deadline { pauseBriefly() }
            return threads.current == 0
        }
        #expect(drained, "counted off when it returns")
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
