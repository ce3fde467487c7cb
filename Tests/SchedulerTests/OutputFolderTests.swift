import Jobs
import Posix
@testable import Scheduler
import Testing
import TestSupport

/// A job's output folder is made ready at submit: created with its parents,
/// or refused naming the folder and what is wrong with it.
@Suite struct OutputFolderTests {
    @Test func aMissingFolderIsCreatedWithItsParents() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let images = folder.file("a/b/images")
        try await OutputFolder.prepare(images)
        #expect(try FileSystem.status(images)?.kind == .directory)
        try await OutputFolder.prepare(images)
    }

    @Test func aFolderFoundReadyIsNotCheckedAgainForAWhile() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let images = folder.file("images")
        // An hour, so that a test run that starves this test for seconds
        // (a loaded CI machine) does not make the answer stale.
        let ready = ReadyFolders(freshFor: .seconds(3600))
        try await OutputFolder.prepare(images, ready: ready)
        _ = try FileSystem.removeDirectory(images)
        // Within `freshFor` the earlier answer stands (no thread, no mkdir):
        // the folder is not made again until the check is due.
        try await OutputFolder.prepare(images, ready: ready)
        #expect(try FileSystem.status(images) == nil)
        // Once the answer is stale it is checked, and made, again.
        let stale = ReadyFolders(freshFor: .zero)
        try await OutputFolder.prepare(images, ready: stale)
        _ = try FileSystem.removeDirectory(images)
        try await OutputFolder.prepare(images, ready: stale)
        #expect(try FileSystem.status(images)?.kind == .directory)
        // Without the memory it is checked, and made, every time.
        _ = try FileSystem.removeDirectory(images)
        try await OutputFolder.prepare(images)
        #expect(try FileSystem.status(images)?.kind == .directory)
    }

    /// A burst of submits to a folder not yet found ready shares one check
    /// (a thread each would be refused past the limit of unfinished checks),
    /// and each of them gets its outcome, a refusal included.
    @Test func submitsToAFolderUnderCheckShareTheCheck() async throws {
        let ready = ReadyFolders()
        let runs = Lock(0)
        let gate = AsyncGate()
        let callers = OutputFolder.maximumUnfinished * 2
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    try await ready.sharing("/images") { () async throws(ParameterProblem) in
                        runs.withLock { $0 += 1 }
                        await gate.wait()
                    }
                }
            }
            // Every caller is waiting on the one check before it ends.
            while ready.callersJoined < callers - 1 { await Task.yield() }
            gate.open()
            try await group.waitForAll()
        }
        #expect(runs.withLock { $0 } == 1)

        let refusal = ParameterProblem(field: "output_dir", message: "cannot write in the folder /images")
        let outcomes = await withTaskGroup(of: ParameterProblem?.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do throws(ParameterProblem) {
                        try await ready.sharing("/images") { () async throws(ParameterProblem) in throw refusal }
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes == [refusal, refusal, refusal], "a new check once the last ended, its refusal for each")
    }

    @Test func aFolderThatCannotBeMadeOrIsNotOneIsRefusedSayingWhy() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileSystem.writeFileAtomically(folder.file("file"), [1])
        await #expect(throws: ParameterProblem(
            field: "output_dir", message: "cannot create the folder \(folder.file("file/images")): Not a directory"
        )) {
            try await OutputFolder.prepare(folder.file("file/images"))
        }
        await #expect(throws: ParameterProblem(
            field: "output_dir", message: "cannot create the folder \(folder.file("file/a/images")): Not a directory (at \(folder.file("file/a")))"
        )) {
            try await OutputFolder.prepare(folder.file("file/a/images"))
        }
        await #expect(throws: ParameterProblem(field: "output_dir", message: "\(folder.file("file")) is not a folder")) {
            try await OutputFolder.prepare(folder.file("file"))
        }
    }

    #if os(Linux)
    /// A folder that is there but takes no files: /proc/self refuses
    /// even root, whom permission bits do not stop.
    @Test func aFolderThatTakesNoFilesIsRefused() async throws {
        do {
            try await OutputFolder.prepare("/proc/self")
            Issue.record("accepted")
        } catch {
            #expect(error.message.hasPrefix("cannot write in the folder /proc/self: "), "\(error.message)")
        }
    }
    #endif
}
