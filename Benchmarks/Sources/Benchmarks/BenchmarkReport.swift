import Harness
import JobStore
import Posix

/// BENCHMARKS.md: the machine, a summary of every figure beside its peer,
/// how cost grows with load (the plot), where we are behind and why, notes
/// from profiles, and each benchmark's full tables. Written by `visioncraft-bench report`.
public struct BenchmarkReport: Sendable {
    /// One benchmark's output.
    public struct Section: Sendable {
        public var title: String
        public var text: String

        public init(title: String, text: String) {
            self.title = title
            self.text = text
        }
    }

    public var date: String
    /// (what, value) rows describing the machine and the peers' versions.
    public var machine: [(String, String)]
    public var sections: [Section]
    public var findings: [BenchmarkFinding]
    /// The plot's file name, relative to the report.
    public var plot: String?
    /// The tables of the scaling run, shown under the plot.
    public var scaling: String?

    public init(date: String, machine: [(String, String)], sections: [Section], findings: [BenchmarkFinding], plot: String?, scaling: String?) {
        self.date = date
        self.machine = machine
        self.sections = sections
        self.findings = findings
        self.plot = plot
        self.scaling = scaling
    }

    /// The report as Markdown.
    public func markdown() -> String {
        var lines: [String] = [
            "# Benchmarks",
            "",
            "Measured \(date) by `visioncraft-bench report`; `.ci/benchmarks` installs the peers, builds in release mode and",
            "runs it, rewriting this file and its plot. Every figure stands beside its peer measured in the same run, on the",
            "same machine, so the ratios mean more than the absolute numbers (which move with the disk and the CPU's mood).",
            "Timings never fail CI.",
            "",
            "## The machine",
            "",
            "| | |",
            "|---|---|",
        ]
        lines += machine.map { "| \(Self.cell($0.0)) | \(Self.cell($0.1)) |" }
        lines += [
            "",
            "## Ours beside the peers",
            "",
            "\"Ours vs peer\" reads how many times better ours is, whichever way the figure runs (time or rate): above 1.00x",
            "ours wins, below it ours is behind (in bold when by more than 5%).",
            "",
            "| benchmark | figure | ours | peer | ours vs peer |",
            "|---|---|---:|---|---:|",
        ]
        for finding in findings {
            let ratio = Format.ratio(finding.advantage)
            lines.append(
                "| \(Self.cell(finding.suite)) | \(Self.cell(finding.figure)) | \(Self.cell(finding.ours)) | \(Self.cell(finding.peer)) | \(finding.isBehind ? "**\(ratio)**" : ratio) |"
            )
        }
        if plot != nil || scaling != nil {
            lines += ["", "## How cost grows with load", ""]
            if let plot { lines += ["![Latency against jobs held and against clients at once](\(plot))", ""] }
            if let scaling { lines += ["```text", scaling, "```"] }
        }
        lines += ["", "## Where we are behind, and why", ""]
        let behind = findings.filter(\.isBehind)
        if behind.isEmpty {
            lines.append("Nowhere in this run.")
        }
        // One item per reason: the figures it explains, then the reason once.
        var reasons: [String] = []
        var figures: [String: [BenchmarkFinding]] = [:]
        for finding in behind {
            if figures[finding.whyBehind] == nil { reasons.append(finding.whyBehind) }
            figures[finding.whyBehind, default: []].append(finding)
        }
        for reason in reasons {
            let listed = (figures[reason] ?? []).map { "**\($0.figure)** (\($0.suite)): ours \($0.ours), \($0.peer), \(Format.ratio($0.advantage))" }
            lines.append("- " + listed.joined(separator: "; ") + ". " + Self.sentence(reason))
        }
        lines += [""] + ProfileNotes.markdown
        lines += ["", "## Every table", ""]
        for section in sections {
            lines += ["### \(section.title)", "", "```text", section.text, "```", ""]
        }
        lines += [
            "## Reproduce",
            "",
            "```sh",
            ".ci/benchmarks                                                                  # peers, release builds, this file",
            "VISIONCRAFT_BIN_DIR=$PWD/.build/release Benchmarks/.build/release/visioncraft-bench rpc # or cli, upstream, plugins, queue, scaling: one table",
            "```",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Facts about this machine, and the version of each peer found.
    public static func describeMachine() -> [(String, String)] {
        var rows: [(String, String)] = []
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { bytes in String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) }
        }
        rows.append(("system", "\(field(names.sysname)) \(field(names.release)) \(field(names.machine))"))
        let cpu = firstLine(ofFile: "/proc/cpuinfo", startingWith: "model name").map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingSpaces } ?? $0 }
        rows.append(("processor", "\(cpu ?? "unknown"), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) online"))
        if let memory = firstLine(ofFile: "/proc/meminfo", startingWith: "MemTotal"),
            let kilobytes = memory.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        {
            rows.append(("memory", Format.fixed(Double(kilobytes) / 1024 / 1024, 1) + " GB"))
        }
        let tools: [(String, [String])] = [
            ("swift", ["--version"]), ("sqlite3 (library)", []), ("aria2c", ["--version"]), ("tsp", ["-V"]), ("hyperfine", ["--version"]),
            ("vips", ["--version"]), ("convert", ["-version"]), ("python3", ["--version"]),
        ]
        for (tool, arguments) in tools {
            if tool.hasPrefix("sqlite3") {
                rows.append((tool, SQLiteConnection.libraryVersion))
                continue
            }
            guard let path = ProcessEnvironment.findExecutable(named: tool) else {
                rows.append((tool, "not installed"))
                continue
            }
            rows.append((tool, (try? firstOutputLine(path, arguments)) ?? "installed"))
        }
        if let python = ProcessEnvironment.findExecutable(named: "python3") {
            let requests = (try? firstOutputLine(python, ["-c", "import requests; print(requests.__version__)"])) ?? "not installed"
            rows.append(("python3 requests", requests))
        }
        return rows
    }

    // MARK: Private

    private static func cell(_ text: String) -> String {
        text.replacing("|", with: "\\|")
    }

    private static func sentence(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst() + (text.hasSuffix(".") ? "" : ".")
    }

    private static func firstLine(ofFile path: String, startingWith prefix: String) -> String? {
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
    }

    private static func firstOutputLine(_ executable: String, _ arguments: [String]) throws -> String? {
        let output = try FileDescriptor.pipe()
        var options = ChildProcess.Options(executable: executable, arguments: arguments)
        options.standardOutput = .descriptor(output.write)
        options.standardError = .null
        let child = try ChildProcess.spawn(options)
        try? output.write.close()
        let bytes = try output.read.readAll()
        try? output.read.close()
        _ = try? child.wait()
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map { String($0).trimmingSpaces }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
