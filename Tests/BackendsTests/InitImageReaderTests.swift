import Backends
import Imaging
import Jobs
import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Local init images: read off the task pool, regular files only, bounded in
/// size and time, and a stuck read never holds more than its own thread.
@Suite struct InitImageReaderTests {
    /// A read that blocks until `release` holds, as one on a hung network
    /// file system; `entered` counts the reads that began.
    final class HungReads: Sendable {
        let release = ThreadCondition(false)
        let entered = ThreadCondition(0)

        var read: @Sendable (String, Int) -> Result<[UInt8], FileReadError> {
            { [self] _, _ in
                entered.update { $0 += 1 }
                _ = release.wait { $0 }
                return .failure(.system(SystemError(code: EIO, function: "read")))
            }
        }
    }

    @Test func aFileThatIsNotAnImageFileIsTheJobsToFix() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let reader = InitImageReader()
        let fifo = folder.file("in.png")
        #expect(mkfifo(fifo, 0o600) == 0)
        await #expect(throws: ParameterProblem(field: "init_images", message: "\(fifo) is a FIFO (named pipe), not a regular file")) {
            _ = try await reader.read(fifo)
        }
        await #expect(throws: ParameterProblem(field: "init_images", message: "cannot read \(folder.file("gone.png")): No such file or directory")) {
            _ = try await reader.read(folder.file("gone.png"))
        }
        try FileSystem.writeFileAtomically(folder.file("text.png"), Array("hello".utf8))
        await #expect(throws: ParameterProblem(field: "init_images", message: "\(folder.file("text.png")) is not a PNG, JPEG or WebP image")) {
            _ = try await reader.read(folder.file("text.png"))
        }
        let png = try PNGCodec.encode(RGBAImage(width: 2, height: 2))
        try FileSystem.writeFileAtomically(folder.file("real.png"), png)
        #expect(try await reader.read(folder.file("real.png")) == FetchedImage(bytes: png, format: .png))
        #expect(reader.unfinishedReads == 0)
    }

    @Test func theSubmitsCheckSaysWhatThePathIs() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let reader = InitImageReader()
        let fifo = folder.file("in.png")
        #expect(mkfifo(fifo, 0o600) == 0)
        await #expect(throws: ParameterProblem(field: "init_images", message: "\(fifo) is a FIFO (named pipe), not a regular file")) {
            try await reader.check(fifo)
        }
        await #expect(throws: ParameterProblem(field: "init_images", message: "/dev/null is a character device, not a regular file")) {
            try await reader.check("/dev/null")
        }
        await #expect(throws: ParameterProblem(field: "init_images", message: "cannot read \(folder.file("gone.png")): No such file or directory")) {
            try await reader.check(folder.file("gone.png"))
        }
        await #expect(throws: ParameterProblem(field: "init_images", message: "\(folder.path) is a directory, not a regular file")) {
            try await reader.check(folder.path)
        }
        // The first bytes say what it is: text, or nothing at all, is refused.
        try FileSystem.writeFileAtomically(folder.file("text.png"), Array("not an image at all".utf8))
        await #expect(throws: ParameterProblem(field: "init_images", message: "\(folder.file("text.png")) is not a PNG, JPEG or WebP image")) {
            try await reader.check(folder.file("text.png"))
        }
        try FileSystem.writeFileAtomically(folder.file("empty.png"), [])
        await #expect(throws: ParameterProblem(field: "init_images", message: "\(folder.file("empty.png")) is not a PNG, JPEG or WebP image")) {
            try await reader.check(folder.file("empty.png"))
        }
        try FileSystem.writeFileAtomically(folder.file("large.png"), [UInt8](repeating: 0, count: InitImageReader.maximumBytes + 1))
        await #expect(throws: ParameterProblem(
            field: "init_images", message: "\(folder.file("large.png")) is larger than \(InitImageReader.maximumBytes) bytes"
        )) {
            try await reader.check(folder.file("large.png"))
        }
        try FileSystem.writeFileAtomically(folder.file("real.png"), try PNGCodec.encode(RGBAImage(width: 2, height: 2)))
        try await reader.check(folder.file("real.png"))
        // JPEG and WebP by their signatures alone (the service decodes them).
        try FileSystem.writeFileAtomically(folder.file("photo.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10])
        try await reader.check(folder.file("photo.jpg"))
        try FileSystem.writeFileAtomically(folder.file("photo.webp"), Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8))
        try await reader.check(folder.file("photo.webp"))
        #expect(reader.unfinishedReads == 0)
    }

    @Test func aReadThatHangsFailsAfterTheTimeoutAndTheJobMayTryAgain() async throws {
        let hung = HungReads()
        defer { hung.release.update { $0 = true } }
        // The read waits for the release below: the wait ends without it.
        let reader = InitImageReader(timeout: .milliseconds(200), read: hung.read)
        await #expect(throws: InitImageUnavailable("reading /nfs/in.png took longer than 0.2 s (a hung network file system?); try again later")) {
            _ = try await reader.read("/nfs/in.png")
        }
        #expect(reader.unfinishedReads == 1, "its thread is still in the read")
        hung.release.update { $0 = true }
        let drained = try await offPool {
            let deadline = MonotonicInstant.now().advanced(by: TestTime.scaled(.seconds(60)))
            while reader.unfinishedReads > 0, MonotonicInstant.now() < deadline { pauseBriefly() }
            return reader.unfinishedReads == 0
        }
        #expect(drained, "and counted off when the read returns")
    }

    @Test func stuckReadsAreCappedNotPiledUp() async throws {
        let hung = HungReads()
        defer { hung.release.update { $0 = true } }
        let reader = InitImageReader(timeout: .milliseconds(50), read: hung.read)
        for _ in 0..<InitImageReader.maximumUnfinished {
            await #expect(throws: InitImageUnavailable.self) { _ = try await reader.read("/nfs/in.png") }
        }
        #expect(reader.unfinishedReads == InitImageReader.maximumUnfinished)
        let message = "/nfs/in.png: \(InitImageReader.maximumUnfinished) earlier reads of init images have not returned (a hung network file system?); not starting another"
        await #expect(throws: InitImageUnavailable(message)) { _ = try await reader.read("/nfs/in.png") }
        #expect(hung.entered.read { $0 } == InitImageReader.maximumUnfinished, "the refused read started no thread")
    }

    @Test func aCancelEndsTheWaitForAHungReadAtOnce() async throws {
        let hung = HungReads()
        defer { hung.release.update { $0 = true } }
        let reader = InitImageReader(timeout: .seconds(600), read: hung.read)
        let waiting = Task { try await reader.read("/nfs/in.png") }
        #expect(try await offPool { hung.entered.wait(timeout: TestTime.scaled(.seconds(60))) { $0 == 1 } })
        let started = MonotonicInstant.now()
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        #expect(started.elapsed < TestTime.scaled(.seconds(60)), "long before the 600 s limit")
    }
}
