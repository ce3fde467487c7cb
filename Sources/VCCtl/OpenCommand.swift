import CommandLineKit
import JSONRPC
import Posix
import VisionCraftProtocol

/// `vcctl open ID`: the job's images in the desktop's viewer.
struct OpenCommand: Command {
    static let idArgument = Argument(name: "ID", help: "The job.", completion: .dynamic("jobs"))
    static let name = "open"
    static let configuration = CommandConfiguration(
        abstract: "Open a job's saved images with the desktop's viewer (xdg-open, or open on macOS).",
        arguments: [Self.idArgument]
    )

    /// The program that hands a file to the desktop.
    static let opener: String = {
        #if canImport(Darwin)
        "open"
        #else
        "xdg-open"
        #endif
    }()

    let global: GlobalOptions
    let id: String

    init(_ arguments: ParsedArguments) throws {
        global = GlobalOptions(arguments)
        id = arguments.argument(Self.idArgument) ?? ""
    }

    /// The job and the paths of its saved images; exit 1 when there are none yet.
    static func savedImages(_ id: String, global: GlobalOptions, context: CommandContext) throws(CommandFailure) -> (job: JobInfo, paths: [String]) {
        let job = try global.request(JobGet.self, JobIDParameters(id: id), context: context)
        let paths = job.images.compactMap(\.path)
        guard !paths.isEmpty else {
            throw CommandFailure("job \(id) has no saved images yet (\(job.state), \(job.imagesDone)/\(job.params.imageCount))", exitCode: .failure)
        }
        return (job, paths)
    }

    func run(_ context: CommandContext) throws -> ExitCode {
        let paths = try Self.savedImages(id, global: global, context: context).paths
        guard let opener = ProcessEnvironment.findExecutable(named: Self.opener, searchPath: context.environment["PATH"]) else {
            throw CommandFailure("\(Self.opener) is not installed; the images are:\n" + paths.joined(separator: "\n"), exitCode: .unavailable)
        }
        for path in paths {
            var options = ChildProcess.Options(executable: opener, arguments: [path], environment: context.environment.variablesForChild)
            options.standardInput = .null
            let status = try? ChildProcess.spawn(options).wait()
            if status != .exited(0) {
                throw CommandFailure("\(Self.opener) \(path) failed (\(status.map { "\($0)" } ?? "not started"))", exitCode: .failure)
            }
        }
        return .success
    }
}
