import Posix

/// Where `swift build`/`swift test` put the executables: the folder of the
/// running test binary (`.build/<triple>/debug`), unless
/// `VISIONCRAFT_BIN_DIR` says otherwise.
public enum BuiltProducts {
    public static var directory: String {
        if let override = ProcessEnvironment.variable("VISIONCRAFT_BIN_DIR"), !override.isEmpty { return override }
        guard let own = ProcessEnvironment.executablePath() else { return ".build/debug" }
        return FileSystem.parentDirectory(of: own)
    }

    /// The path of a built executable; throws if it is missing.
    public static func path(_ name: String) throws -> String {
        let path = "\(directory)/\(name)"
        guard FileSystem.isExecutable(path) else {
            throw TestFailure("\(path) is missing: run the tests with 'swift test' (which builds every product)")
        }
        return path
    }
}

/// The output of a finished process.
public struct ProcessOutput: Sendable {
    public let termination: ChildProcess.Termination
    public let standardOutput: String
    public let standardError: String

    /// The exit status; -1 if the process was killed by a signal.
    public var status: Int32 {
        if case .exited(let code) = termination { return code }
        return -1
    }
}

/// Runs a program to completion with captured output (blocking: call in `offPool`).
///
/// - Parameters:
///   - input: bytes for standard input; nil gives /dev/null.
///   - timeout: the process is killed after this.
public func runProcess(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String]? = nil,
    input: String? = nil,
    timeout: Duration = .seconds(30)
) throws -> ProcessOutput {
    let output = try FileDescriptor.pipe()
    let errors = try FileDescriptor.pipe()
    var options = ChildProcess.Options(executable: executable, arguments: arguments, environment: environment)
    options.standardOutput = .descriptor(output.write)
    options.standardError = .descriptor(errors.write)
    var inputPipe: (read: FileDescriptor, write: FileDescriptor)?
    if input != nil {
        let pipe = try FileDescriptor.pipe()
        inputPipe = pipe
        options.standardInput = .descriptor(pipe.read)
    } else {
        options.standardInput = .null
    }
    let child = try ChildProcess.spawn(options)
    try output.write.close()
    try errors.write.close()
    if let inputPipe, let input {
        try inputPipe.read.close()
        try? inputPipe.write.writeAll(Array(input.utf8))
        try inputPipe.write.close()
    }
    // Kills the process if it outlives the timeout; woken when it ends.
    let finished = ThreadCondition(false)
    let watchdog = try OSThread.spawn(name: "test-watchdog") {
        if !finished.wait(timeout: timeout, until: { $0 }) { child.send(.kill) }
    }
    let stdout = try output.read.readAll()
    let stderr = try errors.read.readAll()
    try output.read.close()
    try errors.read.close()
    let termination = try child.wait()
    finished.update { $0 = true }
    watchdog.join()
    return ProcessOutput(
        termination: termination,
        standardOutput: String(decoding: stdout, as: UTF8.self),
        standardError: String(decoding: stderr, as: UTF8.self)
    )
}
