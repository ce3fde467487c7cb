import JSONRPC

/// `key.clear`: delete the stored key file. The key is then the one from
/// `VISIONCRAFT_API_KEY` or the systemd credential if the daemon started
/// with one (the result says), else missing.
public enum KeyClear: RPCMethod {
    public static let name = "key.clear"
    public typealias Parameters = NoParameters
    public typealias Result = KeyStatus.Result
}
