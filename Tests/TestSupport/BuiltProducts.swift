import Harness
import Posix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `swift build`/`swift test` put the executables: the folder of the
/// running test binary (`.build/<triple>/debug`), unless
/// `VISIONCRAFT_BIN_DIR` says otherwise.
public enum BuiltProducts {
    public static var directory: String {
        if let override = ProcessEnvironment.variable("VISIONCRAFT_BIN_DIR"), !override.isEmpty { return override }
        guard let own = ProcessEnvironment.executablePath() else { return ".build/debug" }
        return FileSystem.parentDirectory(of: own)
    }

    /// The executables of this build, for what the harness starts (with
    /// VISIONCRAFT_BIN_DIR set, the tools' own are next to the test binary).
    public static var binaries: Binaries {
        Binaries(directory: directory, fallbackDirectory: Binaries.runningDirectory, buildHint: "run the tests with 'swift test' (which builds every product)")
    }

    /// The path of a built executable; throws if it is missing.
    public static func path(_ name: String) throws -> String {
        try binaries.ours(name)
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
///   - timeout: the process is killed after this (30 s, stretched in a
///     sanitizer run).
public func runProcess(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String]? = nil,
    input: String? = nil,
    timeout: Duration = TestTime.scaled(.seconds(30))
) throws -> ProcessOutput {
    let output = try FileDescriptor.pipe()
    let errors = try FileDescriptor.pipe()
    var options = ChildProcess.Options(executable: executable, arguments: arguments, environment: environment)
    options.standardOutput = .descriptor(output.write)
    options.standardError = .descriptor(errors.write)
    // Input comes from a file, not a pipe: writing a pipe while the child
    // fills its output pipe would deadlock both.
    var inputFile: (folder: TemporaryDirectory, descriptor: FileDescriptor)?
    if let input {
        let folder = try TemporaryDirectory(prefix: "vct-in-")
        try FileSystem.writeFileAtomically(folder.file("input"), Array(input.utf8))
        let descriptor = try FileDescriptor.open(folder.file("input"), O_RDONLY)
        inputFile = (folder, descriptor)
        options.standardInput = .descriptor(descriptor)
    } else {
        options.standardInput = .null
    }
    defer {
        if let inputFile {
            try? inputFile.descriptor.close()
            inputFile.folder.remove()
        }
    }
    let child = try ChildProcess.spawn(options)
    try output.write.close()
    try errors.write.close()
    // Kills the process if it outlives the timeout; woken when it ends.
    let finished = ThreadCondition(false)
    let watchdog = try OSThread.spawn(name: "test-watchdog") {
        if !finished.wait(timeout: timeout, until: { $0 }) { child.send(.kill) }
    }
    // Both pipes drain at once, so neither can fill up and stall the child.
    let errorText = ThreadCondition<[UInt8]?>(nil)
    let errorReader = try OSThread.spawn(name: "test-stderr") {
        let bytes = (try? errors.read.readAll()) ?? []
        errorText.update { $0 = bytes }
    }
    let stdout = try output.read.readAll()
    errorReader.join()
    let stderr = errorText.read { $0 } ?? []
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
