import Posix

/// The programs the tests, benchmarks and campaigns run: ours (in one build's
/// products folder) and the peers (on PATH).
///
/// The product package (visioncraftd, vcctl, the emulator, the plugins) and
/// the tools package (`Benchmarks/`: the benchmark, campaign and fuzz
/// programs, the load generator) build into two `.build` folders.
/// `VISIONCRAFT_BIN_DIR` names the product's; one of ours that is not there
/// is looked for next to the running executable, where the tools' own sit.
public struct Binaries: Sendable {
    /// The environment variable naming the product build's products folder.
    public static let directoryVariable = "VISIONCRAFT_BIN_DIR"

    /// How the tools' release programs find the product's.
    public static let releaseBuildHint = "run 'swift build -c release' first, and set VISIONCRAFT_BIN_DIR to its .build/release"

    /// The build's products folder.
    public let directory: String
    /// Where to look for one of ours that `directory` lacks: the running
    /// package's own build (the tools' programs), if not the same.
    public let fallbackDirectory: String?
    /// What to run when one of ours is missing, for the error.
    public let buildHint: String

    /// `VISIONCRAFT_BIN_DIR` when set, else the folder of the running
    /// executable (a build of the product package has everything in one
    /// folder); the running executable's folder is the fallback.
    public init(buildHint: String = Self.releaseBuildHint) throws(HarnessError) {
        guard let own = Self.runningDirectory else {
            throw HarnessError("cannot tell where this executable is")
        }
        self.init(directory: Self.namedDirectory ?? own, fallbackDirectory: own, buildHint: buildHint)
    }

    /// `directory`, a build's products folder, then `fallbackDirectory`.
    public init(directory: String, fallbackDirectory: String? = nil, buildHint: String = Self.releaseBuildHint) {
        self.directory = directory
        self.fallbackDirectory = fallbackDirectory == directory ? nil : fallbackDirectory
        self.buildHint = buildHint
    }

    /// `VISIONCRAFT_BIN_DIR`, if set and not empty.
    public static var namedDirectory: String? {
        guard let named = ProcessEnvironment.variable(directoryVariable), !named.isEmpty else { return nil }
        return named
    }

    /// One of our executables; throws, saying how to build it, if it is missing.
    public func ours(_ name: String) throws(HarnessError) -> String {
        let path = "\(directory)/\(name)"
        if FileSystem.isExecutable(path) { return path }
        if let fallbackDirectory, FileSystem.isExecutable("\(fallbackDirectory)/\(name)") {
            return "\(fallbackDirectory)/\(name)"
        }
        throw HarnessError("\(path) is missing: \(buildHint)")
    }

    /// The folder of the running executable, where a package's build puts its own programs.
    public static var runningDirectory: String? {
        ProcessEnvironment.executablePath().map { FileSystem.parentDirectory(of: $0) }
    }

    /// A peer program from PATH, or an error naming the package to install.
    public static func peer(_ name: String, package: String) throws(HarnessError) -> String {
        guard let path = ProcessEnvironment.findExecutable(named: name) else {
            throw HarnessError("\(name) is not installed (Debian: apt-get install \(package); macOS: brew install \(package))")
        }
        return path
    }
}
