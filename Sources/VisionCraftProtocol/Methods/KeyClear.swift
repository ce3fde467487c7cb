import JSONRPC

/// `key.clear`: delete the stored key file. The key is then the one from
/// `VISIONCRAFT_API_KEY` or the systemd credential if the daemon started
/// with one (the result says), else missing.
package enum KeyClear: RPCMethod {
    package static let name = "key.clear"
    package typealias Parameters = KeyBackendParameters
    package typealias Result = KeyStatus.Result
}
