/// "Did you mean ...?" for misspelt names.
package enum Suggestions {
    /// The candidate closest to `name`, if it is close enough to be a typo
    /// (Damerau-Levenshtein distance at most 2, or a third of the length).
    package static func closest(to name: String, in candidates: [String]) -> String? {
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(name, candidate)
            let allowed = max(2, candidate.count / 3)
            if distance <= allowed, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// How a name someone typed stands against a list of names (a catalog
    /// of models or samplers).
    package enum Match: Sendable, Equatable {
        /// The list's own spelling of the name.
        case found(String)
        /// Several names of the list differ from it only in case.
        case ambiguous([String])
        /// Not in the list; the nearest name when it looks like a typo.
        case unknown(suggestion: String?)

        /// Why `name`, a `kind` ("model"), is refused, naming the command
        /// that lists the names; nil when it was found.
        package func refusal(of name: String, kind: String, listedBy command: String) -> String? {
            switch self {
            case .found:
                return nil
            case .ambiguous(let names):
                return "'\(name)' matches \(names.count) \(kind)s that differ only in case (\(names.map { "'\($0)'" }.joined(separator: ", "))): give one as \(command) spells it"
            case .unknown(let suggestion?):
                return "unknown \(kind) '\(name)': did you mean '\(suggestion)'? (\(command) lists them)"
            case .unknown(nil):
                return "unknown \(kind) '\(name)' (\(command) lists them)"
            }
        }
    }

    /// `name` in `names`: as spelt, else in any case (a person types
    /// `euler a` for `Euler a`), else the nearest name, in any case, as
    /// the suggestion.
    package static func match(_ name: String, in names: [String]) -> Match {
        if names.contains(name) { return .found(name) }
        let folded = name.lowercased()
        let sameLetters = names.filter { $0.lowercased() == folded }
        if sameLetters.count == 1 { return .found(sameLetters[0]) }
        if sameLetters.count > 1 { return .ambiguous(sameLetters) }
        let lowered = names.map { $0.lowercased() }
        let nearest = closest(to: folded, in: lowered).flatMap { lowered.firstIndex(of: $0) }.map { names[$0] }
        return .unknown(suggestion: nearest)
    }

    /// Optimal string alignment distance: insertions, deletions,
    /// substitutions and transpositions of neighbours each cost 1.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let left = Array(a.unicodeScalars)
        let right = Array(b.unicodeScalars)
        if left.isEmpty { return right.count }
        if right.isEmpty { return left.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: right.count + 1), count: left.count + 1)
        for i in 0...left.count { table[i][0] = i }
        for j in 0...right.count { table[0][j] = j }
        for i in 1...left.count {
            for j in 1...right.count {
                let cost = left[i - 1] == right[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, left[i - 1] == right[j - 2], left[i - 2] == right[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[left.count][right.count]
    }
}
