#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// File-system calls on paths.
public enum FileSystem {
    /// The status of the file at `path`, following symbolic links (`stat(2)`);
    /// nil when nothing is there.
    public static func status(_ path: String) throws(SystemError) -> FileStatus? {
        var buffer = stat()
        if system_stat(path, &buffer) == 0 { return FileStatus(buffer) }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw SystemError.last("stat", path)
    }

    /// The status of the file at `path` itself, not following a final
    /// symbolic link (`lstat(2)`); nil when nothing is there.
    public static func linkStatus(_ path: String) throws(SystemError) -> FileStatus? {
        var buffer = stat()
        if system_lstat(path, &buffer) == 0 { return FileStatus(buffer) }
        if errno == ENOENT || errno == ENOTDIR { return nil }
        throw SystemError.last("lstat", path)
    }

    /// Creates one directory (`mkdir(2)`); false if something already exists there.
    @discardableResult
    public static func makeDirectory(_ path: String, permissions: mode_t) throws(SystemError) -> Bool {
        if mkdir(path, permissions) == 0 { return true }
        if errno == EEXIST { return false }
        throw SystemError.last("mkdir", path)
    }

    /// Creates a directory and its missing parents; the new ones get `permissions`.
    public static func makeDirectories(_ path: String, permissions: mode_t) throws(SystemError) {
        // The usual case, one stat: every parent of a path that is there is too.
        // (An error is left to the walk below, which names the component.)
        if (try? status(path)) != nil { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if try status(prefix) == nil {
                try makeDirectory(prefix, permissions: permissions)
            }
            prefix += "/"
        }
    }

    /// Removes a file (`unlink(2)`); false if there was none.
    @discardableResult
    public static func removeFile(_ path: String) throws(SystemError) -> Bool {
        if unlink(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw SystemError.last("unlink", path)
    }

    /// Removes an empty directory (`rmdir(2)`); false if there was none.
    @discardableResult
    public static func removeDirectory(_ path: String) throws(SystemError) -> Bool {
        if rmdir(path) == 0 { return true }
        if errno == ENOENT { return false }
        throw SystemError.last("rmdir", path)
    }

    /// Sets permission bits (`chmod(2)`).
    public static func setPermissions(_ path: String, _ permissions: mode_t) throws(SystemError) {
        _ = try retryingInterrupts("chmod", path) { chmod(path, permissions) }
    }

    /// The whole content of a file.
    public static func readFile(_ path: String, limit: Int = Int.max) throws(SystemError) -> [UInt8] {
        let fd = try FileDescriptor.open(path, O_RDONLY)
        defer { try? fd.close() }
        return try fd.readAll(limit: limit)
    }

    /// The whole content of a regular file of at most `maximumBytes`, opened
    /// so that nothing else can make the open wait: `O_NONBLOCK` (a FIFO
    /// with no writer opens at once instead of blocking until one comes),
    /// then `fstat` on the descriptor, not the path, so what was checked is
    /// what is read. A FIFO, device, folder or socket is refused, and so is
    /// a file over the limit, before anything is read. The reads themselves
    /// block as any file read does (a hung network file system never
    /// returns): call this from a thread of its own, bounded in time
    /// (`onOwnThread(name:within:_:)`).
    public static func readRegularFile(_ path: String, maximumBytes: Int) throws(FileReadError) -> [UInt8] {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK)
        } catch {
            throw .system(error)
        }
        defer { try? fd.close() }
        let status: FileStatus
        do {
            status = try fd.status()
        } catch {
            throw .system(error)
        }
        guard status.kind == .regular else { throw .notRegularFile(path: path, kind: status.kind) }
        guard status.size <= Int64(maximumBytes) else { throw .tooLarge(path: path, maximumBytes: maximumBytes) }
        let bytes: [UInt8]
        do {
            // A regular file's reads ignore O_NONBLOCK on Linux but not
            // everywhere: blocking reads, never a busy loop of EAGAIN.
            try fd.setNonBlocking(false)
            bytes = try fd.readAll(limit: maximumBytes + 1)
        } catch {
            throw .system(error)
        }
        guard bytes.count <= maximumBytes else { throw .tooLarge(path: path, maximumBytes: maximumBytes) }
        return bytes
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same folder,
    /// fsync, rename over the target, fsync of the folder. A crash leaves
    /// either the old file or the new one, never a mix.
    ///
    /// The temporary file is `<path>.tmp-<pid>`, or `<path><temporarySuffix>`
    /// for a writer that is alone on `path` and wants a crash's leftover to be
    /// overwritten by the next try rather than left behind. Without
    /// `syncingFolder`, the caller syncs the folder (`synchronizeDirectory`)
    /// before it counts on the new name: once for several files.
    public static func writeFileAtomically(
        _ path: String, _ bytes: [UInt8], permissions: mode_t = 0o600, temporarySuffix: String? = nil, syncingFolder: Bool = true
    ) throws(SystemError) {
        do {
            try writeFileAtomically(path, permissions: permissions, temporarySuffix: temporarySuffix, syncingFolder: syncingFolder) { fd in
                try fd.writeAll(bytes)
            }
        } catch let error as SystemError {
            throw error
        } catch {
            preconditionFailure("writeAll throws only SystemError: \(error)")
        }
    }

    /// Like `writeFileAtomically(_:_:permissions:temporarySuffix:)`, with the
    /// contents written by `contents` to the temporary file's descriptor (a
    /// file made as it is written, never whole in memory). An error from
    /// `contents` removes the temporary file and is rethrown.
    public static func writeFileAtomically(
        _ path: String, permissions: mode_t = 0o600, temporarySuffix: String? = nil, syncingFolder: Bool = true,
        contents: (FileDescriptor) throws -> Void
    ) throws {
        let temporary = path + (temporarySuffix ?? ".tmp-\(getpid())")
        let fd = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: permissions)
        do {
            defer { try? fd.close() }  // exactly once, whatever happens
            try contents(fd)
            try fd.synchronize()
        } catch {
            _ = try? removeFile(temporary)
            throw error
        }
        do {
            _ = try retryingInterrupts("rename", path) { rename(temporary, path) }
        } catch {
            _ = try? removeFile(temporary)
            throw error
        }
        if syncingFolder { synchronizeDirectory(parentDirectory(of: path)) }
    }

    /// Flushes a folder's entries to stable storage (`fsync(2)` on the
    /// folder), so that names renamed into it survive a power loss; where
    /// the file system cannot, nothing.
    public static func synchronizeDirectory(_ folder: String) {
        if let directory = try? FileDescriptor.open(folder, O_RDONLY) {
            try? directory.synchronize()
            try? directory.close()
        }
    }

    /// The names in a folder (not "." or ".."), sorted; nil if it does not exist.
    public static func contentsOfDirectory(_ path: String) throws(SystemError) -> [String]? {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return nil }
            throw SystemError.last("opendir", path)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The folder part of a path: "/a/b/c" -> "/a/b", "c" -> ".", "/c" -> "/".
    public static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// `path` with every symbolic link, `.` and `..` resolved (`realpath(3)`);
    /// nil when it does not exist or cannot be reached.
    public static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The last component of a path: "/a/b/c" -> "c".
    public static func lastComponent(of path: String) -> String {
        let parts = path.split(separator: "/")
        return parts.last.map(String.init) ?? path
    }

    /// The target of a symbolic link (`readlink(2)`).
    public static func readLink(_ path: String) throws(SystemError) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        if count < 0 { throw SystemError.last("readlink", path) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True if `path` names an executable file for this user (`access(2)`).
    public static func isExecutable(_ path: String) -> Bool {
        guard let status = try? status(path), status.kind == .regular else { return false }
        return access(path, X_OK) == 0
    }

    /// Creates a fresh private directory from a template ending in "XXXXXX" (`mkdtemp(3)`).
    public static func makeTemporaryDirectory(prefix: String = "/tmp/visioncraft-") throws(SystemError) -> String {
        var template = Array((prefix + "XXXXXX").utf8CString)
        let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard result != nil else { throw SystemError.last("mkdtemp", prefix) }
        return String(nulTerminated: template)
    }
}
