import Testing
@testable import VCCtl

/// The name `vcctl config set jobs.model VALUE` checks: the text VALUE
/// gives, quoted as the file writes it or bare.
@Suite struct ConfigCatalogValueTests {
    @Test func theNameIsTheTextTheValueGives() {
        #expect(ConfigCommand.Set.text(of: "euler a") == "euler a")
        #expect(ConfigCommand.Set.text(of: "\"Euler a\"") == "Euler a")
        #expect(ConfigCommand.Set.text(of: #""a \"quoted\" name""#) == "a \"quoted\" name")
        #expect(ConfigCommand.Set.text(of: "12") == "12", "bare digits are a name for these keys, as run quotes them")
        #expect(ConfigCommand.Set.text(of: "[\"a\"]") == nil, "not text: the file's own check refuses it")
        #expect(ConfigCommand.Set.text(of: "\"unterminated") == nil)
    }
}
