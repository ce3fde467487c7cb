import Posix

/// The programs a benchmark runs: ours (next to the benchmark executable,
/// from the same build) and the peers (on PATH).
public struct BenchmarkBinaries: Sendable {
    public let directory: String

    /// Looks next to the running executable.
    public init() throws(BenchmarkError) {
        guard let own = ProcessEnvironment.executablePath() else {
            throw BenchmarkError("cannot tell where this executable is")
        }
        directory = FileSystem.parentDirectory(of: own)
    }

    /// Looks in `directory` (a build's products folder).
    public init(directory: String) {
        self.directory = directory
    }

    /// One of our executables, built by `swift build -c release`.
    public func ours(_ name: String) throws(BenchmarkError) -> String {
        let path = "\(directory)/\(name)"
        guard FileSystem.isExecutable(path) else {
            throw BenchmarkError("\(path) is missing: run 'swift build -c release' first")
        }
        return path
    }

    /// A peer program from PATH, or an error naming the package to install.
    public static func peer(_ name: String, package: String) throws(BenchmarkError) -> String {
        guard let path = ProcessEnvironment.findExecutable(named: name) else {
            throw BenchmarkError("\(name) is not installed (Debian: apt-get install \(package); macOS: brew install \(package))")
        }
        return path
    }
}
