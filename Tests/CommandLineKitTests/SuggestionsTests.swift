@testable import CommandLineKit
import NameMatching
import Testing

/// Names typed by a person against a list (models, samplers): any case is
/// taken and given back as the list spells it; a near miss is suggested.
@Suite struct SuggestionsTests {
    let samplers = ["Euler", "Euler a", "DPM++ 2M Karras", "LMS"]

    @Test func anyCaseIsTheListsSpelling() {
        #expect(Suggestions.match("Euler a", in: samplers) == .found("Euler a"))
        #expect(Suggestions.match("euler A", in: samplers) == .found("Euler a"))
        #expect(Suggestions.match("dpm++ 2m karras", in: samplers) == .found("DPM++ 2M Karras"))
    }

    @Test func aNearMissIsSuggestedInTheListsSpelling() {
        #expect(Suggestions.match("eulr a", in: samplers) == .unknown(suggestion: "Euler a"))
        #expect(Suggestions.match("heun", in: samplers) == .unknown(suggestion: nil))
        #expect(
            Suggestions.match("eulr a", in: samplers).refusal(of: "eulr a", kind: "sampler", listedBy: "vcctl samplers")
                == "unknown sampler 'eulr a': did you mean 'Euler a'? (vcctl samplers lists them)"
        )
        #expect(
            Suggestions.match("Nope", in: samplers).refusal(of: "Nope", kind: "sampler", listedBy: "vcctl samplers")
                == "unknown sampler 'Nope' (vcctl samplers lists them)"
        )
        #expect(Suggestions.match("LMS", in: samplers).refusal(of: "LMS", kind: "sampler", listedBy: "vcctl samplers") == nil)
    }

    @Test func namesThatDifferOnlyInCaseAreNotGuessedBetween() {
        let match = Suggestions.match("flux", in: ["Flux", "FLUX", "flux_dev"])
        #expect(match == .ambiguous(["Flux", "FLUX"]))
        #expect(
            match.refusal(of: "flux", kind: "model", listedBy: "vcctl models")
                == "'flux' matches 2 models that differ only in case ('Flux', 'FLUX'): give one as vcctl models spells it"
        )
        #expect(Suggestions.match("FLUX", in: ["Flux", "FLUX"]) == .found("FLUX"), "the exact spelling wins")
    }
}
