/// A workflow that cannot be used, and why, naming its file or graph.
package struct ComfyUIWorkflowProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file's path (or the built-in graph's name).
    package let source: String
    package let message: String

    package init(source: String, _ message: String) {
        self.source = source
        self.message = message
    }

    package var description: String { "workflow \(source): \(message)" }
}
