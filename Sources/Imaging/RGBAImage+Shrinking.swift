extension RGBAImage {
    /// The image shrunk to fit a `side` by `side` box, keeping its aspect
    /// ratio (see `shrunk(toWidth:height:)`).
    public func shrunk(toFit side: Int) -> RGBAImage {
        shrunk(toWidth: side, height: side)
    }

    /// The image shrunk to fit `maximumWidth` by `maximumHeight`, keeping its
    /// aspect ratio: each target pixel the average of the source pixels it
    /// covers (a box filter: for previews, where it is fast and good enough).
    /// Never enlarges; an image that fits is returned as it is.
    public func shrunk(toWidth maximumWidth: Int, height maximumHeight: Int) -> RGBAImage {
        precondition(maximumWidth > 0 && maximumHeight > 0, "a box needs positive sides")
        guard width > maximumWidth || height > maximumHeight else { return self }
        let scale = min(Double(maximumWidth) / Double(width), Double(maximumHeight) / Double(height))
        let targetWidth = max(1, min(maximumWidth, Int((Double(width) * scale).rounded())))
        let targetHeight = max(1, min(maximumHeight, Int((Double(height) * scale).rounded())))
        var sums = [UInt32](repeating: 0, count: targetWidth * targetHeight * 5)
        let columns = (0..<width).map { $0 * targetWidth / width }
        pixels.withUnsafeBufferPointer { source in
            for y in 0..<height {
                let row = y * targetHeight / height * targetWidth
                var offset = y * width * 4
                for x in 0..<width {
                    let target = (row + columns[x]) * 5
                    sums[target] += UInt32(source[offset])
                    sums[target + 1] += UInt32(source[offset + 1])
                    sums[target + 2] += UInt32(source[offset + 2])
                    sums[target + 3] += UInt32(source[offset + 3])
                    sums[target + 4] += 1
                    offset += 4
                }
            }
        }
        var result = [UInt8](repeating: 0, count: targetWidth * targetHeight * 4)
        for index in 0..<targetWidth * targetHeight {
            let count = max(1, sums[index * 5 + 4])
            for channel in 0..<4 {
                result[index * 4 + channel] = UInt8((sums[index * 5 + channel] + count / 2) / count)
            }
        }
        // The sizes match by construction.
        return try! RGBAImage(width: targetWidth, height: targetHeight, pixels: result)
    }
}
