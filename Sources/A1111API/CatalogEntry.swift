import Backends
import NameMatching

/// One name a server lists, with the other names it takes for it: a
/// checkpoint's `title` and its `model_name`, a sampler's `name` and its
/// `aliases`, a scheduler's `name`, its `label` and its `aliases`.
package struct CatalogEntry: Sendable, Equatable {
    /// The name the server is sent.
    package var name: String
    /// Other names a person may type for it.
    package var alternates: [String]

    package init(_ name: String, alternates: [String] = []) {
        self.name = name
        self.alternates = alternates
    }

    /// `typed` among `entries`, as `Suggestions.match` takes a name (as
    /// spelt, else in any case), against the names first, then the
    /// alternates; found, the entry's `name`. Unknown, the nearest name or
    /// alternate is suggested as its entry's name.
    static func match(_ typed: String, in entries: [CatalogEntry]) -> Suggestions.Match {
        let names = entries.map(\.name)
        let byName = Suggestions.match(typed, in: names)
        if case .found = byName { return byName }
        let alternates = entries.flatMap { entry in entry.alternates.map { (alternate: $0, name: entry.name) } }
        // Each once, in the server's order, so that a tie suggests the same name every time.
        var seen: Set<String> = []
        let spellings = alternates.map(\.alternate).filter { seen.insert($0).inserted }
        func owners(_ alternate: String) -> [String] {
            alternates.filter { $0.alternate == alternate }.map(\.name)
        }
        switch Suggestions.match(typed, in: spellings) {
        case .found(let alternate):
            let named = Set(owners(alternate))
            if named.count == 1, let name = named.first { return .found(name) }
            return .ambiguous(named.sorted())
        case .ambiguous(let found):
            let named = Set(found.flatMap(owners))
            if named.count == 1, let name = named.first { return .found(name) }
            return .ambiguous(named.sorted())
        case .unknown(let suggestion):
            if case .ambiguous = byName { return byName }
            if case .unknown(let nearest?) = byName { return .unknown(suggestion: nearest) }
            return .unknown(suggestion: suggestion.flatMap { owners($0).first })
        }
    }
}
