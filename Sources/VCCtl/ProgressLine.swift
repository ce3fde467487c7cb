import CommandLineKit
import Posix
import VisionCraftProtocol

/// The progress of a job being waited for, redrawn in place on standard
/// error when it is a terminal (and colours are allowed: not with NO_COLOR
/// or TERM=dumb): a bar of images done, the state, the time waited, and the
/// next retry when the job waits on a backoff.
struct ProgressLine {
    let enabled: Bool
    private let context: CommandContext

    init(context: CommandContext, global: GlobalOptions) {
        self.context = context
        enabled = context.isStandardErrorTerminal && !global.quiet && (context.environment["NO_COLOR"] ?? "").isEmpty
            && context.environment["TERM"] != "dumb"
    }

    /// Draws `job`'s progress over the previous line.
    func draw(_ job: JobInfo, waited: Duration, position: (index: Int, count: Int)) {
        guard enabled else { return }
        let text = Self.text(job, waited: waited, position: position, now: WallClock.now())
        context.stderr.write("\r\u{1B}[2K" + Self.fit(TerminalText.visible(text), columns: Self.columns()))
    }

    /// Removes the line (before results are printed).
    func clear() {
        guard enabled else { return }
        context.stderr.write("\r\u{1B}[2K")
    }

    /// The line's text, without escape codes:
    /// `[=====     ] 3/6 running  12s  next retry in 8 s`.
    static func text(_ job: JobInfo, waited: Duration, position: (index: Int, count: Int), now: WallClock) -> String {
        let total = max(1, job.params.imageCount)
        let filled = job.imagesDone * 10 / total
        var text = "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: 10 - filled) + "] "
        text += "\(job.imagesDone)/\(job.params.imageCount) \(job.state)  \(Output.duration(seconds: waited.seconds))"
        if position.count > 1 { text = "job \(position.index + 1)/\(position.count) " + text }
        if job.state == .queued, let next = job.nextAttemptAt.flatMap(WallClock.init(iso8601:)) {
            let seconds = max(0, (next.milliseconds - now.milliseconds + 999) / 1000)
            text += "  next retry in \(seconds) s"
            if let error = job.error { text += " (\(error.kind): \(error.message))" }
        } else if job.state == .queued, let position = job.position, position > 0 {
            text += "  \(position) ahead"
        }
        return text
    }

    /// `text` cut to fit one line of `columns` (a longer line would wrap,
    /// and the next redraw would clear only its last part).
    static func fit(_ text: String, columns: Int) -> String {
        let width = max(10, columns - 1)
        return text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }

    /// The terminal's width (80 when it does not say).
    private static func columns() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
