/// What an image hook says it will need for one input, before it runs
/// (`image_plan`, plugin ABI 1.1): the size of its result, whether it works
/// in place, and the memory it allocates besides.
public struct ImagePlan: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// The result is the input buffer, changed: no new image.
    public var inPlace: Bool
    /// Scratch memory the hook allocates at once, in bytes.
    public var workingBytes: Int

    public init(width: Int, height: Int, inPlace: Bool, workingBytes: Int) {
        self.width = width
        self.height = height
        self.inPlace = inPlace
        self.workingBytes = workingBytes
    }
}
