/// A request field's wire name and the flag (or what else) that set it, so
/// that the daemon's invalid-params error for the field names the flag.
///
/// A struct, not a tuple: the runtime builds a tuple type's metadata from its
/// mangled name at first use, a cost at every start of vcctl.
struct FieldFlag: Sendable {
    let field: String
    let flag: String
}
