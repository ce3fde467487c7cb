import Posix

/// The programs the tests, benchmarks and campaigns run: ours (in one build's
/// products folder) and the peers (on PATH).
public struct Binaries: Sendable {
    /// The build's products folder.
    public let directory: String
    /// What to run when one of ours is missing, for the error.
    public let buildHint: String

    /// The folder of the running executable: the benchmark, campaign and fuzz
    /// programs sit next to the daemon they start.
    public init(buildHint: String = "run 'swift build -c release' first") throws(HarnessError) {
        guard let own = ProcessEnvironment.executablePath() else {
            throw HarnessError("cannot tell where this executable is")
        }
        self.init(directory: FileSystem.parentDirectory(of: own), buildHint: buildHint)
    }

    /// `directory`, a build's products folder.
    public init(directory: String, buildHint: String = "run 'swift build -c release' first") {
        self.directory = directory
        self.buildHint = buildHint
    }

    /// One of our executables; throws, saying how to build it, if it is missing.
    public func ours(_ name: String) throws(HarnessError) -> String {
        let path = "\(directory)/\(name)"
        guard FileSystem.isExecutable(path) else {
            throw HarnessError("\(path) is missing: \(buildHint)")
        }
        return path
    }

    /// A peer program from PATH, or an error naming the package to install.
    public static func peer(_ name: String, package: String) throws(HarnessError) -> String {
        guard let path = ProcessEnvironment.findExecutable(named: name) else {
            throw HarnessError("\(name) is not installed (Debian: apt-get install \(package); macOS: brew install \(package))")
        }
        return path
    }
}
