import Posix

/// What a peer program prints on its standard output, for the benchmarks
/// whose peer measures itself (a Python client, the sqlite3 floor).
enum ProcessOutputCapture {
    /// Runs `executable` with `arguments` to its end; its standard output.
    ///
    /// - Throws: `BenchmarkError` when it does not exit with status 0.
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(executable: executable, arguments: arguments)
        options.standardOutput = .descriptor(output.write)
        let child = try ChildProcess.spawn(options)
        try? output.write.close()
        let bytes = try output.read.readAll()
        try? output.read.close()
        guard try child.wait() == .exited(0) else { throw BenchmarkError("\(executable) failed") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
