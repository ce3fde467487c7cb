/// The release of visioncraft these binaries belong to.
public enum VisionCraftVersion {
    /// The version shown by `--version` and `daemon.status`.
    public static let current = "0.1.0"
}
