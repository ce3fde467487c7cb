import VisionCraftProtocol

/// How a job reads on a terminal.
enum JobDescription {
    /// Several lines: id, state, prompt, images, error.
    static func detailed(_ job: JobInfo, colour: Bool = false) -> String {
        var lines = ["\(job.id)  \(Output.state(job.state, colour: colour, width: 0))  \(job.imagesDone)/\(job.params.imageCount) images"]
        lines.append("  prompt    \(job.params.prompt)")
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
            lines.append("  image \(image.index + 1)   \(image.path ?? image.state)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line: id, state, images, created, prompt (cut to fit).
    static func line(_ job: JobInfo, colour: Bool = false) -> String {
        let state = Output.state(job.state, colour: colour)
        let images = "\(job.imagesDone)/\(job.params.imageCount)".padding(7)
        let created = String(job.createdAt.prefix(16).map { $0 == "T" ? " " : $0 })
        var prompt = job.params.prompt.withControlCharactersAsSpaces()
        if prompt.count > 60 { prompt = String(prompt.prefix(59)) + "…" }
        return "\(job.id)  \(state) \(images) \(created)  \(prompt)\n"
    }
}

private extension String {
    /// Each control character (line breaks, tabs, escapes) as one space: a
    /// listing stays one line per job and a prompt cannot move the cursor or
    /// recolour the terminal. (A scalar map, not `replacing(_:with:)`, whose
    /// generic machinery was 8% of a `vcctl list`.)
    func withControlCharactersAsSpaces() -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            let isControl = scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            scalars.append(isControl ? " " : scalar)
        }
        return String(scalars)
    }

    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
