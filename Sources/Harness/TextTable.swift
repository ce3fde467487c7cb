/// A plain-text table with aligned columns: the first column left-aligned,
/// the others right-aligned (numbers).
public struct TextTable: Sendable {
    public let header: [String]
    public private(set) var rows: [[String]] = []

    public init(header: [String]) {
        self.header = header
    }

    /// Adds a row (padded or cut to the header's width).
    public mutating func append(_ row: [String]) {
        var cells = Array(row.prefix(header.count))
        while cells.count < header.count { cells.append("") }
        rows.append(cells)
    }

    /// The table as lines joined by newlines, with a rule under the header.
    public func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            var text = cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// Number formatting for tables (no Foundation).
public enum Format {
    /// `value` with `digits` decimals: 12.345 -> "12.3".
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let whole = Int(rounded / scale)
        let fraction = Int(rounded.truncatingRemainder(dividingBy: scale))
        let sign = value < 0 && rounded != 0 ? "-" : ""
        guard digits > 0 else { return "\(sign)\(whole)" }
        let fractionText = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: digits - fractionText.count) + fractionText
    }

    /// A rate: 16_930 -> "16.9k/s".
    public static func rate(_ perSecond: Double) -> String {
        perSecond >= 1000 ? fixed(perSecond / 1000, 1) + "k/s" : fixed(perSecond, 0) + "/s"
    }

    /// Microseconds: "57.1 us".
    public static func micros(_ value: Double) -> String { fixed(value, 1) + " us" }

    /// Milliseconds: "0.74 ms".
    public static func millis(_ value: Double) -> String { fixed(value, 2) + " ms" }

    /// Megabytes from kilobytes: "7.1 MB".
    public static func megabytes(kilobytes: Int) -> String { fixed(Double(kilobytes) / 1024, 1) + " MB" }

    /// A ratio: "1.04x".
    public static func ratio(_ value: Double) -> String { fixed(value, 2) + "x" }
}
