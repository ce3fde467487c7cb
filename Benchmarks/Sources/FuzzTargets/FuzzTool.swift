import Harness
import Posix

/// `visioncraft-fuzz`: runs one fuzz target. Built with `-sanitize=fuzzer`
/// and `-D VISIONCRAFT_LIBFUZZER` (`.ci/fuzz`), libFuzzer drives it with
/// coverage; otherwise it replays files and runs seeded mutations of the
/// target's own seeds (what the test suite does briefly).
///
/// ```
/// visioncraft-fuzz rpc|config|plugin-options [--runs N] [--seed S] [FILE...]
/// visioncraft-fuzz rpc|config|plugin-options [libFuzzer flags] [CORPUS...]   (libFuzzer build)
/// ```
public enum FuzzTool {
    static let usage = """
        Usage: visioncraft-fuzz rpc|config|plugin-options [--runs N] [--seed S] [FILE...]
               visioncraft-fuzz rpc|config|plugin-options --write-seeds FOLDER
               (built by .ci/fuzz with libFuzzer: libFuzzer's flags and corpus folders instead)

        rpc             the daemon's JSON-RPC surface, in process: framing, parsing, every
                        method; it must answer a status request after every input
        config          the configuration file's reader and the quoting vcctl config set uses
        plugin-options  plugin chain steps (name:key=value or JSON) and the template and
                        upscale plugins' hooks given any options (and any prompt)

        """

    /// Runs the tool with `arguments` (argv[0] included); returns the exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        guard arguments.count >= 2, let target = makeTarget(arguments[1]) else {
            if arguments.count >= 2, arguments[1] == "--help" || arguments[1] == "-h" {
                write(to: .standardOutput, usage)
                return 0
            }
            write(to: .standardError, "visioncraft-fuzz: name a target\n" + usage)
            return 64
        }
        let rest = Array(arguments.dropFirst(2))
        if rest.first == "--write-seeds" {
            guard rest.count == 2 else {
                write(to: .standardError, "visioncraft-fuzz: --write-seeds needs a folder\n" + usage)
                return 64
            }
            return writeSeeds(of: target, to: rest[1])
        }
        #if VISIONCRAFT_LIBFUZZER
        return LibFuzzerDriver.run(target, programName: arguments[0], arguments: rest)
        #else
        return seeded(target, arguments: rest)
        #endif
    }

    /// Writes the target's seeds into `folder` (libFuzzer's first corpus).
    static func writeSeeds(of target: FuzzTarget, to folder: String) -> Int32 {
        do {
            try FileSystem.makeDirectories(folder, permissions: 0o755)
            for (index, seed) in target.seeds.enumerated() {
                try FileSystem.writeFileAtomically("\(folder)/seed-\(index)", seed)
            }
            return 0
        } catch {
            write(to: .standardError, "visioncraft-fuzz: cannot write the seeds into \(folder): \(error)\n")
            return 73
        }
    }

    /// A target by name, ready to run; nil for an unknown name.
    static func makeTarget(_ name: String) -> FuzzTarget? {
        switch name {
        case "rpc": return FuzzTarget(name: name, seeds: FuzzSeeds.rpc) { try RPCFuzzTarget() }
        case "config": return FuzzTarget(name: name, seeds: FuzzSeeds.config) { ConfigFuzzTarget() }
        case "plugin-options":
            return FuzzTarget(name: name, seeds: FuzzSeeds.pluginOptions) {
                // The shipped plugins: the product's build (VISIONCRAFT_BIN_DIR).
                return try PluginOptionsFuzzTarget(pluginFolder: try Binaries().directory)
            }
        default: return nil
        }
    }

    /// Replays FILEs, then `--runs` seeded mutations; the first failing
    /// input is written to `fuzz-TARGET-failure` in the current folder.
    static func seeded(_ target: FuzzTarget, arguments: [String]) -> Int32 {
        var runs = 100_000
        var seed: UInt64 = 20_261_130
        var files: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--runs", "--seed":
                index += 1
                guard index < arguments.count, let value = UInt64(arguments[index]), argument == "--seed" || value <= 1 << 40 else {
                    write(to: .standardError, "visioncraft-fuzz: \(argument) needs a whole number\n" + usage)
                    return 64
                }
                if argument == "--runs" { runs = Int(value) } else { seed = value }
            default:
                guard !argument.hasPrefix("-") else {
                    write(to: .standardError, "visioncraft-fuzz: unknown option '\(argument)' (libFuzzer's flags need the libFuzzer build: .ci/fuzz)\n" + usage)
                    return 64
                }
                files.append(argument)
            }
            index += 1
        }
        let runner: any FuzzRunner
        do {
            runner = try target.make()
        } catch {
            write(to: .standardError, "visioncraft-fuzz: \(error)\n")
            return 1
        }
        var corpus = target.seeds
        for file in files {
            guard let bytes = try? FileSystem.readFile(file) else {
                write(to: .standardError, "visioncraft-fuzz: cannot read \(file)\n")
                return 66
            }
            corpus.append(bytes)
        }
        var mutator = SeededMutations(seed: seed)
        let started = MonotonicInstant.now()
        var done = 0
        func fail(_ input: [UInt8], _ failure: FuzzFailure) -> Int32 {
            let path = "fuzz-\(target.name)-failure"
            try? FileSystem.writeFileAtomically(path, input)
            write(to: .standardError, "visioncraft-fuzz \(target.name): FAILED after \(done) inputs: \(failure)\n(the input is in \(path); replay it with visioncraft-fuzz \(target.name) --runs 0 \(path))\n")
            return 1
        }
        // The files and seeds as they are, then mutations.
        for input in corpus {
            do { try runner.run(input) } catch { return fail(input, error) }
            done += 1
        }
        for step in 0..<runs {
            let input = mutator.next(from: corpus)
            do { try runner.run(input) } catch { return fail(input, error) }
            done += 1
            // Keep some of what passed, so mutations build on mutations.
            if mutator.keep(), input.count <= 4096 {
                if corpus.count < 2000 { corpus.append(input) } else { corpus[mutator.below(corpus.count)] = input }
            }
            if runs >= 10, (step + 1) % (runs / 10) == 0 {
                write(to: .standardError, "  \(step + 1) of \(runs) inputs, \(Int(Double(done) / max(started.elapsed.seconds, 0.001)))/s\n")
            }
        }
        let seconds = started.elapsed.seconds
        write(to: .standardOutput, "visioncraft-fuzz \(target.name): \(done) inputs passed in \(Int(seconds * 10) / 10) s (\(Int(Double(done) / max(seconds, 0.001)))/s), seed \(seed)\n")
        return 0
    }

    static func write(to fd: FileDescriptor, _ text: String) {
        try? fd.writeAll(Array(text.utf8))
    }
}

/// What runs inputs for a target.
protocol FuzzRunner {
    func run(_ input: [UInt8]) throws(FuzzFailure)
}

extension RPCFuzzTarget: FuzzRunner {}
extension ConfigFuzzTarget: FuzzRunner {}
extension PluginOptionsFuzzTarget: FuzzRunner {}

/// A target's name, its seed inputs and how to make its runner.
struct FuzzTarget {
    let name: String
    let seeds: [[UInt8]]
    let make: () throws -> any FuzzRunner
}
