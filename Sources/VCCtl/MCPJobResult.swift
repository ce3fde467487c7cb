import Jobs
import JSON
import MCP
import Posix

/// Tool results for jobs: the job as structured content (each saved image
/// with its `file://` URI), a text mirror, a resource link per image and,
/// when asked, small previews, within the size clients accept.
enum MCPJobResult {
    static func make(_ job: JSON, finished: Bool, previews: Bool) -> MCPToolResult {
        let described = withURIs(job)
        let id = job["id"]?.stringValue ?? "?"
        let state = job["state"]?.stringValue ?? "?"
        let saved = savedImages(job)
        var summary: String
        switch state {
        case JobState.succeeded.rawValue: summary = "Job \(id) succeeded: \(saved.count) image\(saved.count == 1 ? "" : "s") saved."
        case JobState.failed.rawValue:
            summary = "Job \(id) failed: \(job["error"]?["kind"]?.stringValue ?? "error"): \(job["error"]?["message"]?.stringValue ?? "no reason given")."
        case JobState.cancelled.rawValue: summary = "Job \(id) was cancelled (\(saved.count) image\(saved.count == 1 ? "" : "s") saved before)."
        default:
            let count = job["params"]?["image_count"]?.intValue ?? 0
            summary = "Job \(id) is \(state) (\(job["images_done"]?.intValue ?? 0) of \(count) images done); it goes on in the daemon's queue: call wait_job with id \(id) to wait again, or get_job later."
            if let error = job["error"]?["message"]?.stringValue { summary += " Last error: \(error)" }
        }
        var content: [JSON] = [MCPContent.text(summary)]
        let structured: JSON = ["job": described, "finished": .bool(finished)]
        content.append(MCPContent.text(JSONSerializer.serializeToString(structured)))
        for image in saved {
            let status = try? FileSystem.status(image.path)
            content.append(
                MCPContent.resourceLink(
                    uri: MCPFileURI.uri(image.path), name: FileSystem.lastComponent(of: image.path), title: "Image \(image.index + 1) of job \(id)",
                    mimeType: MCPImageFormat(path: image.path)?.mimeType, size: status.map { Int($0.size) }
                )
            )
        }
        if previews { content += MCPPreviews.blocks(for: saved.map(\.path)) }
        return MCPToolResult(content: content, structuredContent: structured, isError: state == JobState.failed.rawValue)
    }

    /// A listing's jobs, each with its images' URIs.
    static func list(_ listing: JSON) -> MCPToolResult {
        let jobs = (listing["jobs"]?.arrayValue ?? []).map(withURIs)
        var structured: JSONObject = ["jobs": .array(jobs)]
        if let next = listing["next"] { structured["next"] = next }
        var lines = jobs.map { job -> String in
            let prompt = job["params"]?["prompt"]?.stringValue ?? ""
            return "\(job["id"]?.stringValue ?? "?") \(job["state"]?.stringValue ?? "?") \(prompt.count > 80 ? prompt.prefix(79) + "…" : Substring(prompt))"
        }
        if jobs.isEmpty { lines = ["No jobs."] }
        if let next = listing["next"]?.stringValue { lines.append("More: before = \(next)") }
        return Self.structured(.object(structured), summary: lines.joined(separator: "\n") + "\n")
    }

    /// A result whose text is `summary` and the structured content's JSON.
    static func structured(_ value: JSON, summary: String) -> MCPToolResult {
        MCPToolResult(content: [MCPContent.text(summary + JSONSerializer.serializeToString(value))], structuredContent: value)
    }

    static func savedImages(_ job: JSON) -> [(index: Int, path: String)] {
        (job["images"]?.arrayValue ?? []).compactMap { image in
            guard let path = image["path"]?.stringValue, let index = image["index"]?.intValue else { return nil }
            return (index, path)
        }
    }

    /// The job with a `uri` beside each saved image's path.
    static func withURIs(_ job: JSON) -> JSON {
        guard case .object(var object) = job, let images = object["images"]?.arrayValue else { return job }
        object["images"] = .array(images.map { image in
            guard case .object(var entry) = image, let path = entry["path"]?.stringValue else { return image }
            entry["uri"] = .string(MCPFileURI.uri(path))
            return .object(entry)
        })
        return .object(object)
    }
}
