import Posix
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The test folders every suite uses: removal takes everything below, opens
/// up unwritable folders, and never follows a link out of the folder.
struct TemporaryDirectoryTests {
    @Test func removeTakesTheWholeTreeButNotWhatALinkPointsTo() throws {
        let outside = try TemporaryDirectory()
        defer { outside.remove() }
        try FileSystem.writeFileAtomically(outside.file("keep"), Array("kept".utf8))

        let folder = try TemporaryDirectory()
        try FileSystem.makeDirectories(folder.file("a/b/c"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("a/b/c/file"), [1, 2, 3])
        try FileSystem.writeFileAtomically(folder.file("top"), [4])
        #expect(symlink(outside.path, folder.file("a/link")) == 0)
        #expect(symlink(outside.file("keep"), folder.file("a/b/file-link")) == 0)
        try FileSystem.makeDirectories(folder.file("locked/inner"), permissions: 0o700)
        try FileSystem.writeFileAtomically(folder.file("locked/inner/x"), [5])
        try FileSystem.setPermissions(folder.file("locked/inner"), 0o500)
        try FileSystem.setPermissions(folder.file("locked"), 0o000)

        folder.remove()
        #expect(try FileSystem.linkStatus(folder.path) == nil)
        #expect(try FileSystem.readFile(outside.file("keep")) == Array("kept".utf8))
        folder.remove()  // a second time: nothing to do, no crash
    }
}
