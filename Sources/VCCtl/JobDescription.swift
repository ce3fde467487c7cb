import CommandLineKit
import VisionCraftProtocol

/// How a job reads on a terminal.
enum JobDescription {
    /// Several lines: id, state, prompt, images, error; every text from the
    /// job made visible (`TerminalText`), the state's colour kept.
    static func detailed(_ job: JobInfo, colour: Bool = false) -> String {
        let head = "\(TerminalText.visible(job.id))  \(Output.state(job.state.rawValue, colour: colour, width: 0))  \(job.imagesDone)/\(job.params.imageCount) images"
        var lines = ["  prompt    \(job.params.prompt)"]
        if !job.params.negativePrompt.isEmpty { lines.append("  negative  \(job.params.negativePrompt)") }
        if let model = job.params.model { lines.append("  model     \(model), \(job.params.sampler ?? "")") }
        if let initImage = job.params.initImage { lines.append("  from      \(initImage)") }
        if !job.params.labels.isEmpty { lines.append("  labels    \(job.params.labels.joined(separator: ", "))") }
        if let position = job.position { lines.append("  position  \(position) ahead") }
        if job.attempts > 0 { lines.append("  attempts  \(job.attempts)") }
        if let next = job.nextAttemptAt { lines.append("  retry at  \(next)") }
        if let error = job.error { lines.append("  error     \(error.kind): \(error.message)") }
        lines.append("  created   \(job.createdAt)")
        if let finished = job.finishedAt { lines.append("  finished  \(finished)") }
        for image in job.images {
            lines.append("  image \(image.index + 1)   \(image.path ?? image.state.rawValue)")
        }
        return ([head] + lines.map { TerminalText.visible($0) }).joined(separator: "\n") + "\n"
    }

    /// One line: id, state, images, created, prompt (cut to fit).
    static func line(_ job: JobSummary, colour: Bool = false) -> String {
        let state = Output.state(job.state.rawValue, colour: colour)
        // ASCII but for the prompt: widths and cuts count bytes, not Characters.
        var images = "\(job.imagesDone)/\(job.imageCount)"
        if images.utf8.count < 7 { images += String(repeating: " ", count: 7 - images.utf8.count) }
        let created = String(decoding: job.createdAt.utf8.prefix(16).map { $0 == UInt8(ascii: "T") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        var prompt = TerminalText.visible(job.prompt)
        // At most as many Characters as bytes: count them only when it may matter.
        if prompt.utf8.count > 60, prompt.count > 60 { prompt = String(prompt.prefix(59)) + "…" }
        return "\(TerminalText.visible(job.id))  \(state) \(images) \(created)  \(prompt)\n"
    }
}
