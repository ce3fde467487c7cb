#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Facts about the running process: its environment, ids and executable.
public enum ProcessEnvironment {
    /// The environment variables, read from `environ` byte by byte.
    public static func variables() -> [String: String] {
        var result: [String: String] = [:]
        #if canImport(Darwin)
        guard var pointer = _NSGetEnviron()?.pointee else { return result }
        #else
        guard var pointer = environ as UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? else { return result }
        #endif
        while let entry = pointer.pointee {
            let length = strlen(entry)
            entry.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                let all = UnsafeBufferPointer(start: bytes, count: length)
                if let equals = all.firstIndex(of: UInt8(ascii: "=")) {
                    let name = String(decoding: UnsafeBufferPointer(rebasing: all[..<equals]), as: UTF8.self)
                    result[name] = String(decoding: UnsafeBufferPointer(rebasing: all[(equals + 1)...]), as: UTF8.self)
                }
            }
            pointer += 1
        }
        return result
    }

    /// One environment variable (`getenv(3)`).
    public static func variable(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Removes an environment variable (`unsetenv(3)`). Not thread-safe:
    /// call at start-up only.
    public static func removeVariable(_ name: String) {
        unsetenv(name)
    }

    /// The process id.
    public static var processID: pid_t { getpid() }

    /// The real user id.
    public static var userID: uid_t { getuid() }

    /// The working directory (`getcwd(3)`), or "/" if it cannot be read.
    public static func workingDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(nulTerminated: buffer)
    }

    /// Makes `path` the working directory (`chdir(2)`).
    public static func changeWorkingDirectory(_ path: String) throws(SystemError) {
        guard chdir(path) == 0 else { throw SystemError.last("chdir", path) }
    }

    /// The absolute path of the running executable, if the system tells it.
    public static func executablePath() -> String? {
        #if os(Linux)
        return try? FileSystem.readLink("/proc/self/exe")
        #elseif canImport(Darwin)
        var size: UInt32 = 4096
        var buffer = [CChar](repeating: 0, count: Int(size))
        guard _NSGetExecutablePath(&buffer, &size) == 0 else { return nil }
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard realpath(buffer, &resolved) != nil else { return String(nulTerminated: buffer) }
        return String(nulTerminated: resolved)
        #else
        return nil
        #endif
    }

    /// Finds an executable by name in the folders of `PATH` (like `command -v`).
    ///
    /// - Parameters:
    ///   - name: a bare name such as "visioncraftd"; a name with a slash is
    ///     returned as is if it is executable.
    ///   - path: the search path; defaults to this process's `PATH`.
    public static func findExecutable(named name: String, searchPath path: String? = nil) -> String? {
        if name.contains("/") { return FileSystem.isExecutable(name) ? name : nil }
        let searchPath = path ?? variable("PATH") ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in searchPath.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = "\(folder)/\(name)"
            if FileSystem.isExecutable(candidate) { return candidate }
        }
        return nil
    }
}

extension String {
    /// Decodes a C string held in an array, up to its first NUL.
    init(nulTerminated characters: [CChar]) {
        let length = characters.firstIndex(of: 0) ?? characters.count
        self = String(decoding: characters[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
