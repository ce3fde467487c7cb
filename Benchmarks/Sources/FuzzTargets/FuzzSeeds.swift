import Reliability

/// Where each target's seeded run starts: valid inputs of every kind, and
/// some wrong on purpose (libFuzzer starts from these too: `.ci/fuzz`
/// writes them as its first corpus).
enum FuzzSeeds {
    static let rpc: [[UInt8]] = NastyInputs.seeds.map { Array($0.utf8) } + NastyInputs.wrong.filter { $0.count <= 4096 }

    static let config: [[UInt8]] = [
        """
        # visioncraft configuration
        [upstream]
        url = "http://127.0.0.1:8080"
        timeout = 30
        tls_verify = true

        [queue]
        max_in_flight = 2
        requests_per_minute = 60
        retry_base = 2.5

        [jobs]
        model = "anything_V5"
        sampler = "Euler"
        cfg_scale = 7.5
        steps = 30
        image_count = 2
        output_dir = "~/Pictures/visioncraft"

        [plugins]
        folders = ["/opt/visioncraft/plugins", "~/plugins"]
        chain = ["template", "upscale:scale=2"]
        timeout = 60
        """,
        "[jobs]\r\nmodel = \"anything_V5\"\r\nsteps = 20\r\n",
        "model = \"a \\\"quoted\\\" \\\\ name\\twith\\nescapes\" # and a comment\n",
        "[queue]\nmax_in_flight = 0x10\nrequests_per_minute = -1\n[queue]\n",
        "[[jobs]]\nkey\n= value\n[bad section]\n\"key\" = 1\n",
        "[plugins]\nfolders = [\"a\", \"b\",]\nchain = []\n",
        "[jobs]\nsteps = 1e400\ncfg_scale = nan\nimage_count = 99999999999999999999\n",
    ].map { Array($0.utf8) }

    static let pluginOptions: [[UInt8]] = [
        "scale=2", "scale=4", "scale=1", "scale=-3", "scale=2.5", "width=100,height=50", "width=16385", "height=0", "scale=2,width=10",
        #"{"scale":3}"#, #"{"scale":"2"}"#, #"{"width":1e308}"#, "{", "=2", ",,,", "style=Cinematic", "styles=/nonexistent.csv",
        #"{"mode":"combinatorial"}"#, #"{"mode":"shuffle"}"#, "a {red|blue|green} fox", "{2$$a|b|c}", "{0-3$$x|y}", "__colors__",
        "__../../etc/passwd__", "{a|{b|{c|d}}}", "{" + String(repeating: "a|", count: 200) + "b}",
        String(repeating: "{x|y}", count: 40), "(red:1.2) [blue] <lora:x:1>",
    ].map { Array($0.utf8) }
}

/// Seeded mutations over a corpus (the mutator of the reliability suite).
struct SeededMutations {
    private var mutator: InputMutator

    init(seed: UInt64) {
        mutator = InputMutator(seed: seed)
    }

    mutating func below(_ bound: Int) -> Int { mutator.below(bound) }

    /// A mutation of one corpus entry, spliced with another.
    mutating func next(from corpus: [[UInt8]]) -> [UInt8] {
        let base = corpus[mutator.below(corpus.count)]
        let other = corpus[mutator.below(corpus.count)]
        return mutator.mutate(base, splicing: other)
    }

    /// Whether to keep a passing input in the corpus (one in eight).
    mutating func keep() -> Bool { mutator.below(8) == 0 }
}
