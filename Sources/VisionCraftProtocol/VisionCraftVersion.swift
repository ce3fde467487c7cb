/// The release of visioncraft these binaries belong to.
package enum VisionCraftVersion {
    /// The version shown by `--version` and `daemon.status`.
    package static let current = "0.1.0"
}
