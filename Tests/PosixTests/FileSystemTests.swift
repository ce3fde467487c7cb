import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct FileSystemTests {
    @Test func makeDirectoriesCreatesParentsWithTheMode() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let nested = folder.file("a/b/c")
        try FileSystem.makeDirectories(nested, permissions: 0o700)
        let status = try #require(try FileSystem.status(nested))
        #expect(status.kind == .directory)
        #expect(status.permissions & 0o077 == 0)
        #expect(status.owner == getuid())
        #expect(try FileSystem.makeDirectory(nested, permissions: 0o700) == false)
    }

    @Test func atomicWriteReplacesTheFileWithItsMode() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("key")
        try FileSystem.writeFileAtomically(path, Array("first".utf8))
        try FileSystem.writeFileAtomically(path, Array("second".utf8), permissions: 0o600)
        #expect(try FileSystem.readFile(path) == Array("second".utf8))
        #expect(try FileSystem.status(path)?.octalPermissions == "0600")
        #expect(try FileSystem.status(path + ".tmp-\(getpid())") == nil)
    }

    @Test func statusOfNothingIsNil() throws {
        #expect(try FileSystem.status("/tmp/vct-missing-\(getpid())") == nil)
        #expect(try FileSystem.removeFile("/tmp/vct-missing-\(getpid())") == false)
    }

    @Test(arguments: [
        ("/a/b/c", "/a/b", "c"), ("c", ".", "c"), ("/c", "/", "c"), ("/a/b/", "/a", "b"),
    ])
    func pathComponents(path: String, parent: String, last: String) {
        #expect(FileSystem.parentDirectory(of: path) == parent)
        #expect(FileSystem.lastComponent(of: path) == last)
    }

    @Test func lockIsExclusiveUntilReleased() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("lock")
        let first = try #require(try FileLock.tryAcquire(path))
        #expect(try FileLock.tryAcquire(path) == nil)
        first.release()
        first.release()  // twice is harmless
        let second = try #require(try FileLock.tryAcquire(path))
        second.release()
    }

    @Test func aLockRecordsTextUntilReleasedAndKnowsWhenItsFileIsGone() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("lock")
        let lock = try #require(try FileLock.tryAcquire(path))
        try lock.record("4242\n")
        try lock.record("42\n")  // replaces, never appends
        #expect(try FileSystem.readFile(path) == Array("42\n".utf8))
        #expect(lock.isStillAtPath)
        lock.release()
        #expect(try FileSystem.readFile(path).isEmpty, "a released lock leaves no stale record")

        let again = try #require(try FileLock.tryAcquire(path))
        defer { again.release() }
        try FileSystem.removeFile(path)
        #expect(!again.isStillAtPath, "removed: anyone could lock a new file there")
        try FileSystem.writeFileAtomically(path, [])
        #expect(!again.isStillAtPath, "replaced by another file")
    }

    @Test func wallClockFormatsRFC3339() {
        #expect(WallClock(seconds: 0).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(WallClock(seconds: 1_764_039_845, nanoseconds: 678_000_000).iso8601 == "2025-11-25T03:04:05.678Z")
        #expect(WallClock(seconds: 1, nanoseconds: 500_000_000).milliseconds == 1500)
        #expect(WallClock(milliseconds: 1_764_039_845_678).iso8601 == "2025-11-25T03:04:05.678Z")
        #expect(WallClock(milliseconds: -1).iso8601 == "1969-12-31T23:59:59.999Z")
        // The direct calendar arithmetic agrees with gmtime_r across centuries and leap days.
        var generator = SystemRandomNumberGenerator()
        for seconds in [Int64(951_782_400), 4_107_542_399, 253_402_300_799] + (0..<2000).map({ _ in Int64.random(in: -2_000_000_000...250_000_000_000, using: &generator) }) {
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            let year = Int(parts.tm_year) + 1900
            let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
            let expected = "\(yearText)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).000Z"
            #expect(WallClock(seconds: seconds).iso8601 == expected, "\(seconds)")
            #expect(WallClock(iso8601: expected)?.seconds == seconds, "parsing \(expected)")
        }
        #expect(WallClock(milliseconds: 1_764_039_845_678).localDate.count == 10)
    }

    @Test func systemErrorSaysWhatFailed() {
        let error = SystemError(code: ENOENT, function: "connect", subject: "/x.sock")
        #expect(error.description == "connect(/x.sock): No such file or directory (errno \(ENOENT))")
        #expect(error.isNoSuchFile)
    }
}
