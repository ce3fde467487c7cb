import Harness
import Posix

/// A small line chart with logarithmic axes, written as SVG text (no
/// dependencies): the benchmark report's "how cost grows with load" plots.
/// Several panels sit side by side, each with its own series and legend.
public struct SVGLineChart: Sendable {
    /// One line: a name for the legend and its points (x, y), both positive.
    public struct Series: Sendable, Equatable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Drawn dashed (a peer, next to our solid lines).
        public var dashed: Bool

        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
            self.name = name
            self.points = points
            self.dashed = dashed
        }

        public static func == (left: Series, right: Series) -> Bool {
            left.name == right.name && left.dashed == right.dashed && left.points.elementsEqual(right.points) { $0 == $1 }
        }
    }

    /// One plot: a title, axis labels and its lines.
    public struct Panel: Sendable, Equatable {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        public var series: [Series]

        public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
            self.title = title
            self.xLabel = xLabel
            self.yLabel = yLabel
            self.series = series
        }
    }

    public var panels: [Panel]
    public var panelWidth = 420.0
    public var panelHeight = 300.0

    public init(panels: [Panel]) {
        self.panels = panels
    }

    /// Colours that stay apart in print and for common colour blindness.
    static let palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"]

    /// The chart as a standalone SVG document.
    public func render() -> String {
        let width = panelWidth * Double(max(1, panels.count))
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.number(width))" height="\(Self.number(panelHeight))" \
            viewBox="0 0 \(Self.number(width)) \(Self.number(panelHeight))" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>

            """
        for (index, panel) in panels.enumerated() {
            svg += render(panel, left: panelWidth * Double(index))
        }
        return svg + "</svg>\n"
    }

    // MARK: Private

    /// The plotting area inside a panel.
    private struct Frame {
        var left, top, width, height: Double
        var xDecades: ClosedRange<Int>
        var yDecades: ClosedRange<Int>

        func x(_ value: Double) -> Double {
            left + width * (log10(value) - Double(xDecades.lowerBound)) / Double(max(1, xDecades.count - 1))
        }

        func y(_ value: Double) -> Double {
            top + height - height * (log10(value) - Double(yDecades.lowerBound)) / Double(max(1, yDecades.count - 1))
        }
    }

    private func render(_ panel: Panel, left: Double) -> String {
        let points = panel.series.flatMap(\.points).filter { $0.x > 0 && $0.y > 0 && $0.x.isFinite && $0.y.isFinite }
        guard !points.isEmpty else { return "" }
        let frame = Frame(
            left: left + 62, top: 28, width: panelWidth - 62 - 16, height: panelHeight - 28 - 96,
            xDecades: Self.decades(points.map(\.x)), yDecades: Self.decades(points.map(\.y))
        )
        var svg = "<g>\n"
        svg += text(panel.title, x: left + panelWidth / 2, y: 16, anchor: "middle", extra: #" font-weight="bold" font-size="12""#)
        // Grid and ticks at each power of ten.
        for decade in frame.xDecades {
            let x = frame.x(Self.power(decade))
            svg += line(x, frame.top, x, frame.top + frame.height, stroke: "#e4e4e4")
            svg += text(Self.tickLabel(decade), x: x, y: frame.top + frame.height + 14, anchor: "middle")
        }
        for decade in frame.yDecades {
            let y = frame.y(Self.power(decade))
            svg += line(frame.left, y, frame.left + frame.width, y, stroke: "#e4e4e4")
            svg += text(Self.tickLabel(decade), x: frame.left - 6, y: y + 4, anchor: "end")
        }
        svg += """
            <rect x="\(Self.number(frame.left))" y="\(Self.number(frame.top))" width="\(Self.number(frame.width))" \
            height="\(Self.number(frame.height))" fill="none" stroke="#888"/>

            """
        svg += text(panel.xLabel, x: frame.left + frame.width / 2, y: frame.top + frame.height + 30, anchor: "middle")
        let middle = frame.top + frame.height / 2
        svg += text(panel.yLabel, x: left + 14, y: middle, anchor: "middle", extra: #" transform="rotate(-90 \#(Self.number(left + 14)) \#(Self.number(middle)))""#)
        // The lines, then the legend under the plot.
        for (index, series) in panel.series.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let drawn = series.points.filter { $0.x > 0 && $0.y > 0 && $0.x.isFinite && $0.y.isFinite }
            let path = drawn.map { "\(Self.number(frame.x($0.x))),\(Self.number(frame.y($0.y)))" }.joined(separator: " ")
            let dash = series.dashed ? #" stroke-dasharray="5 3""# : ""
            svg += #"<polyline points="\#(path)" fill="none" stroke="\#(colour)" stroke-width="2"\#(dash)/>"# + "\n"
            for point in drawn {
                svg += #"<circle cx="\#(Self.number(frame.x(point.x)))" cy="\#(Self.number(frame.y(point.y)))" r="2.5" fill="\#(colour)"/>"# + "\n"
            }
            let legendY = frame.top + frame.height + 48 + Double(index / 2) * 15
            let legendX = left + 62 + Double(index % 2) * (panelWidth - 78) / 2
            svg += line(legendX, legendY - 4, legendX + 18, legendY - 4, stroke: colour, extra: #" stroke-width="2"\#(dash)"#)
            svg += text(series.name, x: legendX + 23, y: legendY, anchor: "start")
        }
        return svg + "</g>\n"
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, extra: String = "") -> String {
        #"<line x1="\#(Self.number(x1))" y1="\#(Self.number(y1))" x2="\#(Self.number(x2))" y2="\#(Self.number(y2))" stroke="\#(stroke)"\#(extra)/>"# + "\n"
    }

    private func text(_ content: String, x: Double, y: Double, anchor: String, extra: String = "") -> String {
        #"<text x="\#(Self.number(x))" y="\#(Self.number(y))" text-anchor="\#(anchor)"\#(extra)>\#(Self.escape(content))</text>"# + "\n"
    }

    /// The powers of ten that enclose `values` (at least two).
    static func decades(_ values: [Double]) -> ClosedRange<Int> {
        let low = Int(log10(values.min() ?? 1).rounded(.down))
        let high = Int(log10(values.max() ?? 10).rounded(.up))
        return low...max(high, low + 1)
    }

    static func power(_ decade: Int) -> Double {
        decade >= 0 ? (0..<decade).reduce(1.0) { value, _ in value * 10 } : 1 / power(-decade)
    }

    /// 1, 10, 100, 1k, 10k, 100k, 1M; 0.1, 0.01 below one.
    static func tickLabel(_ decade: Int) -> String {
        switch decade {
        case ..<0: return "0." + String(repeating: "0", count: -decade - 1) + "1"
        case 0...2: return "1" + String(repeating: "0", count: decade)
        case 3...5: return "1" + String(repeating: "0", count: decade - 3) + "k"
        default: return "1" + String(repeating: "0", count: decade - 6) + "M"
        }
    }

    /// Two decimals at most, no exponent: SVG readers want plain numbers.
    static func number(_ value: Double) -> String {
        Format.fixed(value, 2).replacing(".00", with: "")
    }

    static func escape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }
}
