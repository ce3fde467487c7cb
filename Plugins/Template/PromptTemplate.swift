/// Dynamic Prompts templates, the part people use:
///
/// - variants `{a|b|c}`, nested, with weights `{0.5::a|2::b}`;
/// - several at once `{2$$a|b|c}`, a range `{1-3$$a|b|c}`, a separator
///   `{2$$ and $$a|b|c}` (default ", ");
/// - wildcards `__name__` (a line of `name.txt` in the wildcard folder,
///   `__colors/warm__` in a subfolder; `#` starts a comment line);
/// - A1111 weighting `(word:1.2)` and anything else passes through untouched.
///
/// Random choices come from a seeded generator, so a seed reproduces a prompt.
struct PromptTemplate {
    /// A parsed piece of a template.
    indirect enum Node: Equatable {
        case text(String)
        case sequence([Node])
        case variants(options: [(weight: Double, node: Node)], count: ClosedRange<Int>, separator: String)
        case wildcard(String)

        static func == (lhs: Node, rhs: Node) -> Bool {
            switch (lhs, rhs) {
            case (.text(let a), .text(let b)): a == b
            case (.sequence(let a), .sequence(let b)): a == b
            case (.wildcard(let a), .wildcard(let b)): a == b
            case (.variants(let a, let c1, let s1), .variants(let b, let c2, let s2)):
                c1 == c2 && s1 == s2 && a.count == b.count && zip(a, b).allSatisfy { $0.weight == $1.weight && $0.node == $1.node }
            default: false
            }
        }
    }

    let root: Node

    /// How deeply variants and wildcards nest at most: each `{` inside
    /// another is a level, and so is each wildcard a value includes. The
    /// parser refuses deeper braces and the renderer deeper inclusion (a
    /// wildcard that includes itself), so neither recurses further than
    /// this whatever the input: a 10 KB prompt of nested braces would
    /// overflow the stack of the thread the hook runs on.
    static let maximumNesting = 32

    /// Parses `text`.
    ///
    /// - Throws: `TemplateError` naming the position (1-based character).
    init(_ text: String) throws(TemplateError) {
        var parser = Parser(Array(text))
        root = try parser.sequence(until: [])
        if parser.index < parser.characters.count {
            throw TemplateError("unexpected '\(parser.characters[parser.index])' at \(parser.index + 1)")
        }
    }

    /// One prompt, with choices drawn from `random`.
    func render(wildcards: WildcardSource, random: inout SeededRandom) throws(TemplateError) -> String {
        try Self.render(root, wildcards: wildcards, random: &random, depth: 0)
    }

    /// Every prompt the template can make (combinatorial mode: weights do
    /// not matter, each option and each combination counts once), in order.
    ///
    /// - Throws: when there would be more than `limit`.
    func all(wildcards: WildcardSource, limit: Int) throws(TemplateError) -> [String] {
        try Self.all(root, wildcards: wildcards, limit: limit, depth: 0)
    }

    /// The level inside one more variant or wildcard than `depth`.
    private static func deeper(_ depth: Int) throws(TemplateError) -> Int {
        guard depth < maximumNesting else {
            throw TemplateError("templates nest deeper than \(maximumNesting) levels (a wildcard that includes itself?)")
        }
        return depth + 1
    }

    private static func all(_ node: Node, wildcards: WildcardSource, limit: Int, depth: Int) throws(TemplateError) -> [String] {
        func tooMany() -> TemplateError { TemplateError("the template makes more than \(limit) prompts") }
        switch node {
        case .text(let text):
            return [text]
        case .sequence(let nodes):
            var results = [""]
            for node in nodes {
                let parts = try all(node, wildcards: wildcards, limit: limit, depth: depth)
                guard results.count * parts.count <= limit else { throw tooMany() }
                results = results.flatMap { prefix in parts.map { prefix + $0 } }
            }
            return results
        case .wildcard(let name):
            var results: [String] = []
            for line in try wildcards.values(name) {
                results += try all(try PromptTemplate(line).root, wildcards: wildcards, limit: limit, depth: try deeper(depth))
                guard results.count <= limit else { throw tooMany() }
            }
            return results
        case .variants(let options, let count, let separator):
            let inner = try deeper(depth)
            let choices = try options.map { option throws(TemplateError) in try all(option.node, wildcards: wildcards, limit: limit, depth: inner) }
            var results: [String] = []
            for size in count.lowerBound...min(count.upperBound, choices.count) {
                for combination in combinations(choices.count, size) {
                    var joined = [""]
                    for (position, index) in combination.enumerated() {
                        guard joined.count * choices[index].count <= limit else { throw tooMany() }
                        joined = joined.flatMap { prefix in choices[index].map { prefix + (position == 0 ? "" : separator) + $0 } }
                    }
                    results += joined
                    guard results.count <= limit else { throw tooMany() }
                }
            }
            return results
        }
    }

    /// The `size`-element subsets of 0..<count, in order.
    private static func combinations(_ count: Int, _ size: Int) -> [[Int]] {
        guard size > 0 else { return [[]] }
        guard size <= count else { return [] }
        var result: [[Int]] = []
        func extend(_ current: [Int], from start: Int) {
            if current.count == size {
                result.append(current)
                return
            }
            guard start < count else { return }
            for index in start..<count { extend(current + [index], from: index + 1) }
        }
        extend([], from: 0)
        return result
    }

    private static func render(_ node: Node, wildcards: WildcardSource, random: inout SeededRandom, depth: Int) throws(TemplateError) -> String {
        switch node {
        case .text(let text):
            return text
        case .sequence(let nodes):
            var result = ""
            for node in nodes { result += try render(node, wildcards: wildcards, random: &random, depth: depth) }
            return result
        case .wildcard(let name):
            let lines = try wildcards.values(name)
            guard !lines.isEmpty else { throw TemplateError("wildcard __\(name)__ has no values") }
            let line = lines[random.below(lines.count)]
            let nested = try PromptTemplate(line)
            return try render(nested.root, wildcards: wildcards, random: &random, depth: try deeper(depth))
        case .variants(let options, let count, let separator):
            let inner = try deeper(depth)
            let wanted = min(count.lowerBound + random.below(count.upperBound - count.lowerBound + 1), options.count)
            var remaining = options
            var picked: [String] = []
            for _ in 0..<wanted {
                let total = remaining.reduce(0) { $0 + $1.weight }
                var target = random.unit() * total
                var choice = remaining.count - 1
                for (index, option) in remaining.enumerated() {
                    target -= option.weight
                    if target < 0 {
                        choice = index
                        break
                    }
                }
                picked.append(try render(remaining[choice].node, wildcards: wildcards, random: &random, depth: inner))
                remaining.remove(at: choice)
            }
            return picked.joined(separator: separator)
        }
    }

    /// Recursive descent, one level per `{`: at most `maximumNesting` deep.
    private struct Parser {
        let characters: [Character]
        var index = 0
        /// The braces open at `index`.
        var depth = 0

        init(_ characters: [Character]) {
            self.characters = characters
        }

        /// Text, variants and wildcards until one of `stops` (not consumed) or the end.
        mutating func sequence(until stops: Set<Character>) throws(TemplateError) -> Node {
            var nodes: [Node] = []
            var text = ""
            while index < characters.count, !stops.contains(characters[index]) {
                let character = characters[index]
                if character == "{" {
                    if !text.isEmpty { nodes.append(.text(text)); text = "" }
                    nodes.append(try variants())
                } else if character == "}" {
                    throw TemplateError("'}' at \(index + 1) closes nothing")
                } else if character == "_", peek(1) == "_", let name = wildcardName() {
                    if !text.isEmpty { nodes.append(.text(text)); text = "" }
                    nodes.append(.wildcard(name))
                } else {
                    text.append(character)
                    index += 1
                }
            }
            if !text.isEmpty { nodes.append(.text(text)) }
            return nodes.count == 1 ? nodes[0] : .sequence(nodes)
        }

        private func peek(_ offset: Int) -> Character? {
            index + offset < characters.count ? characters[index + offset] : nil
        }

        /// `__name__` at `index`, consumed; nil (nothing consumed) if it is not one.
        private mutating func wildcardName() -> String? {
            var end = index + 2
            var name = ""
            while end + 1 < characters.count {
                if characters[end] == "_", characters[end + 1] == "_" {
                    guard !name.isEmpty else { return nil }
                    index = end + 2
                    return name
                }
                let c = characters[end]
                guard c.isLetter || c.isNumber || c == "-" || c == "/" || c == "_" || c == "." else { return nil }
                name.append(c)
                end += 1
            }
            return nil
        }

        private mutating func variants() throws(TemplateError) -> Node {
            let open = index
            guard depth < PromptTemplate.maximumNesting else {
                throw TemplateError("'{' at \(open + 1) nests deeper than \(PromptTemplate.maximumNesting) levels, the most a template may have")
            }
            depth += 1
            defer { depth -= 1 }
            index += 1
            var count: ClosedRange<Int> = 1...1
            var separator = ", "
            if let (parsedCount, parsedSeparator, length) = pickPrefix() {
                count = parsedCount
                separator = parsedSeparator ?? separator
                index += length
            }
            var options: [(Double, Node)] = []
            while true {
                var weight = 1.0
                if let (parsedWeight, length) = weightPrefix() {
                    weight = parsedWeight
                    index += length
                }
                let node = try sequence(until: ["|", "}"])
                options.append((weight, node))
                guard index < characters.count else { throw TemplateError("'{' at \(open + 1) is never closed") }
                if characters[index] == "}" {
                    index += 1
                    break
                }
                index += 1  // "|"
            }
            return .variants(options: options, count: count, separator: separator)
        }

        /// `N$$`, `N-M$$` or `N$$sep$$` right after "{": the count, the
        /// separator, and how many characters they take.
        private func pickPrefix() -> (ClosedRange<Int>, String?, Int)? {
            var cursor = index
            var first = ""
            while cursor < characters.count, characters[cursor].isNumber { first.append(characters[cursor]); cursor += 1 }
            guard let low = Int(first) else { return nil }
            var high = low
            if cursor < characters.count, characters[cursor] == "-" {
                cursor += 1
                var second = ""
                while cursor < characters.count, characters[cursor].isNumber { second.append(characters[cursor]); cursor += 1 }
                guard let parsed = Int(second) else { return nil }
                high = parsed
            }
            guard cursor + 1 < characters.count, characters[cursor] == "$", characters[cursor + 1] == "$", low <= high else { return nil }
            cursor += 2
            // An optional separator ending in "$$".
            var probe = cursor
            var separator = ""
            while probe + 1 < characters.count, !(characters[probe] == "$" && characters[probe + 1] == "$"), characters[probe] != "|",
                characters[probe] != "}"
            {
                separator.append(characters[probe])
                probe += 1
            }
            if probe + 1 < characters.count, characters[probe] == "$", characters[probe + 1] == "$" {
                return (low...high, separator, probe + 2 - index)
            }
            return (low...high, nil, cursor - index)
        }

        /// `0.5::` at `index`: the weight and its length.
        private func weightPrefix() -> (Double, Int)? {
            var cursor = index
            var number = ""
            while cursor < characters.count, characters[cursor].isNumber || characters[cursor] == "." { number.append(characters[cursor]); cursor += 1 }
            guard !number.isEmpty, let weight = Double(number), weight >= 0, cursor + 1 < characters.count, characters[cursor] == ":", characters[cursor + 1] == ":" else {
                return nil
            }
            return (weight, cursor + 2 - index)
        }
    }
}

/// A template that cannot be used, and where.
struct TemplateError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where `__name__` values come from.
protocol WildcardSource {
    func values(_ name: String) throws(TemplateError) -> [String]
}

/// SplitMix64: small, fast, and the same sequence everywhere for a seed.
struct SeededRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0 ..< bound.
    mutating func below(_ bound: Int) -> Int {
        bound <= 1 ? 0 : Int(next() % UInt64(bound))
    }

    /// 0 ..< 1.
    mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
