/// Hand-made inputs for the JSON-RPC surface: valid requests of every kind
/// (the seeds the mutator starts from) and messages that are wrong on
/// purpose, each in a way a careless reader gets wrong.
public enum NastyInputs {
    /// Valid requests, one per method a client may call without changing
    /// anything lasting (no shutdown), with typical and edge parameters.
    public static let seeds: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#,
        #"{"jsonrpc":"2.0","id":"a","method":"rpc.discover"}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"job.submit","params":{"prompt":"a lighthouse","image_count":2,"cfg_scale":7.5,"steps":20,"labels":["x"],"priority":3}}"#,
        #"{"jsonrpc":"2.0","id":3,"method":"job.submit","params":{"prompt":"fox","model":"anything_V5","sampler":"Euler","negative_prompt":"blur","idempotency_key":"k1"}}"#,
        #"{"jsonrpc":"2.0","id":4,"method":"job.list","params":{"state":"queued","limit":5,"text":"light"}}"#,
        #"{"jsonrpc":"2.0","id":5,"method":"job.get","params":{"id":"01JD0000000000000000000000"}}"#,
        #"{"jsonrpc":"2.0","id":6,"method":"job.cancel","params":{"id":"01JD0000000000000000000000"}}"#,
        #"{"jsonrpc":"2.0","id":7,"method":"job.wait","params":{"id":"01JD0000000000000000000000","timeout_seconds":0}}"#,
        #"{"jsonrpc":"2.0","id":8,"method":"models.list","params":{"refresh":false}}"#,
        #"{"jsonrpc":"2.0","id":9,"method":"key.status"}"#,
        #"{"jsonrpc":"2.0","id":10,"method":"events.subscribe"}"#,
        #"{"jsonrpc":"2.0","id":11,"method":"plugins.list"}"#,
        #"[{"jsonrpc":"2.0","id":12,"method":"daemon.status"},{"jsonrpc":"2.0","method":"daemon.status"}]"#,
        #"{"jsonrpc":"2.0","method":"daemon.status"}"#,
    ]

    /// Wrong messages, small enough to send many times.
    public static let wrong: [[UInt8]] = [
        "", "{", "}", "[]", "[1,2,3]", "null", "\"text\"", "42", "{}",
        #"{"jsonrpc":"2.0","id":1}"#,
        #"{"jsonrpc":"2.0","id":1,"method":7}"#,
        #"{"jsonrpc":"2.0","id":{"a":1},"method":"daemon.status"}"#,
        #"{"jsonrpc":"2.0","id":1.5e308,"method":"daemon.status"}"#,
        #"{"jsonrpc":"2.0","id":1e400,"method":"daemon.status"}"#,
        #"{"jsonrpc":"2.0","id":-0,"method":"daemon.status"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"daemon.status","params":[1,2]}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":""}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"x","image_count":1e30}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"x","image_count":-1}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"x","steps":"many"}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"job.submit","params":{"prompt":"x","prompt":"y"}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"job.list","params":{"limit":99999999999999999999}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"job.get","params":{"id":"\u0000"}}"#,
        #"{"jsonrpc":"2.0","id":"\ud800","method":"daemon.status"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"daemon.statuz"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"daemon.status","extra":true}"#,
        "[" + String(repeating: "{},", count: 2000) + "{}]",
        String(repeating: "[", count: 100_000),
        String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000),
        // A megabyte of prompt: refused (over the 16 KiB limit), never stored.
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"job.submit\",\"params\":{\"prompt\":\"" + String(repeating: "x", count: 1 << 20) + "\"}}",
        "\"" + String(repeating: "\\u0041", count: 50_000) + "\"",
        String(repeating: "9", count: 100_000),
    ].map { Array($0.utf8) } + [
        [0xFF, 0xFE, 0x7B, 0x7D],
        [0xEF, 0xBB, 0xBF] + Array(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#.utf8),
        Array(#"{"jsonrpc":"2.0","id":"\#u{FFFD}"#.utf8) + [0xC3, 0x28] + Array(#"","method":"daemon.status"}"#.utf8),
        Array(#"{"jsonrpc":"2.0","id":1,"method":"daemon.status"}"#.utf8) + [0x00],
    ]

    /// True for an input that must not be sent to a daemon the run keeps:
    /// it would stop it (a mutation can spell `daemon.shutdown` back).
    public static func isForbidden(_ input: [UInt8]) -> Bool {
        let needle = Array("shutdown".utf8)
        guard input.count >= needle.count else { return false }
        for start in 0...(input.count - needle.count) where input[start] == needle[0] {
            if Array(input[start..<start + needle.count]) == needle { return true }
        }
        return false
    }
}
