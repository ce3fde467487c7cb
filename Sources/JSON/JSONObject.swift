/// A JSON object: members in insertion order, keys unique.
///
/// Small objects (most of them) are searched linearly; from 16 members on a
/// hash index is kept, so lookups and the parser's duplicate check stay
/// linear for objects with hundreds of thousands of keys.
///
/// Equality ignores member order.
///
/// The index lives in a class box: a `[String: Int]?` stored property would
/// make every use of the type instantiate `Dictionary<String, Int>` metadata,
/// and with it a runtime conformance lookup that costs a static client a
/// noticeable part of its start-up.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    private var orderedKeys: [String] = []
    private var values: [JSON] = []
    private var index: KeyIndex?

    private static let indexThreshold = 16

    public init() {}

    /// Builds an object from pairs; a repeated key keeps its last value, in
    /// the position of its first appearance.
    public init(_ pairs: [(String, JSON)]) {
        orderedKeys.reserveCapacity(pairs.count)
        values.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(elements)
    }

    public var count: Int { orderedKeys.count }
    public var isEmpty: Bool { orderedKeys.isEmpty }
    /// The keys in order.
    public var keys: [String] { orderedKeys }

    /// The value for `key`; setting nil removes the member.
    public subscript(key: String) -> JSON? {
        get {
            position(of: key).map { values[$0] }
        }
        set {
            if let newValue {
                if let position = position(of: key) {
                    values[position] = newValue
                } else {
                    append(key, newValue)
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Removes a member and returns its value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSON? {
        guard let position = position(of: key) else { return nil }
        orderedKeys.remove(at: position)
        let value = values.remove(at: position)
        rebuildIndex()
        return value
    }

    /// Adds a member unless the key exists; returns false for a duplicate.
    /// (The parser's path: one lookup, no overwrite.)
    mutating func insertNew(_ key: String, _ value: JSON) -> Bool {
        if position(of: key) != nil { return false }
        append(key, value)
        return true
    }

    /// Iterates the members in order.
    public struct Iterator: IteratorProtocol {
        let keys: [String]
        let values: [JSON]
        var position = 0

        public mutating func next() -> (key: String, value: JSON)? {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (keys[position], values[position])
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(keys: orderedKeys, values: values)
    }

    /// The key and value at `position` (0 ..< count), in order.
    func member(at position: Int) -> (key: String, value: JSON) {
        (orderedKeys[position], values[position])
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (position, key) in lhs.orderedKeys.enumerated() {
            guard let other = rhs[key], other == lhs.values[position] else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine the members' hashes commutatively.
        var combined = 0
        for (position, key) in orderedKeys.enumerated() {
            var member = Hasher()
            member.combine(key)
            member.combine(values[position])
            combined ^= member.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }

    // MARK: Private

    private func position(of key: String) -> Int? {
        if let index { return index.positions[key] }
        return orderedKeys.firstIndex(of: key)
    }

    private mutating func append(_ key: String, _ value: JSON) {
        orderedKeys.append(key)
        values.append(value)
        if index != nil {
            if !isKnownUniquelyReferenced(&index!) { index = KeyIndex(index!.positions) }
            index!.positions[key] = orderedKeys.count - 1
        } else if orderedKeys.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    private mutating func rebuildIndex() {
        guard orderedKeys.count > Self.indexThreshold else {
            index = nil
            return
        }
        var built: [String: Int] = [:]
        built.reserveCapacity(orderedKeys.count)
        for (position, key) in orderedKeys.enumerated() { built[key] = position }
        index = KeyIndex(built)
    }
}

/// Key positions of a large object, shared between copies until one writes.
private final class KeyIndex: @unchecked Sendable {
    // Mutated only through a uniquely referenced box (copy on write).
    var positions: [String: Int]

    init(_ positions: [String: Int]) {
        self.positions = positions
    }
}
