import Imaging
import Posix
import Synchronization
import VisionCraftPluginABI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Calling a plugin's hooks. Each call runs on a plugin worker thread (a hook
/// is foreign code that may block); the caller awaits it without holding a
/// pool thread. A call that passes its time limit fails at once and marks the
/// plugin hung; its thread is left to finish (C code cannot be stopped
/// safely) and whatever it returns late is freed. Inputs are copied into
/// host memory that stays valid until the hook returns, however late.
extension LoadedPlugin {
    /// The prompt hook: a JSON request in, a JSON response out.
    public func prompt(_ requestJSON: String, timeout: Duration) async throws(PluginError) -> String {
        guard hooks.contains(.prompt), let hook = descriptor.pointee.prompt else { throw missing(.prompt) }
        let state = Handed(self.state)
        let request = Handed(strdup(requestJSON))
        return try await call(timeout: timeout, hook: .prompt) { () -> Result<String, PluginError> in
            defer { free(request.value) }
            var response: UnsafeMutablePointer<CChar>?
            var error: UnsafeMutablePointer<CChar>?
            let status = hook(state.value, request.value, &response, &error)
            defer { free(response) }
            guard status == VC_OK else { return .failure(self.failure(.prompt, status, error)) }
            free(error)
            guard let response else { return .failure(PluginError(.hookFailed, "plugin \(self.name): the prompt hook returned no response")) }
            return .success(String(cString: response))
        }
    }

    /// The image hook: RGBA pixels in, RGBA pixels out (maybe another size).
    public func image(_ image: RGBAImage, parameters: String, timeout: Duration) async throws(PluginError) -> RGBAImage {
        guard hooks.contains(.image), let hook = descriptor.pointee.image else { throw missing(.image) }
        let state = Handed(self.state)
        let count = image.pixels.count
        let buffer = Handed(UnsafeMutablePointer<UInt8>.allocate(capacity: max(count, 1)))
        image.pixels.withUnsafeBufferPointer { buffer.value.update(from: $0.baseAddress!, count: count) }
        let params = Handed(strdup(parameters))
        let width = image.width
        let height = image.height
        return try await call(timeout: timeout, hook: .image) { () -> Result<RGBAImage, PluginError> in
            defer {
                buffer.value.deallocate()
                free(params.value)
            }
            var input = vc_image(pixels: buffer.value, width: UInt32(width), height: UInt32(height), stride: width * 4)
            var output = vc_image(pixels: nil, width: 0, height: 0, stride: 0)
            var error: UnsafeMutablePointer<CChar>?
            let status = hook(state.value, &input, params.value, &output, &error)
            let returned = output.pixels
            defer { if let returned, returned != buffer.value { free(returned) } }
            guard status == VC_OK else { return .failure(self.failure(.image, status, error)) }
            free(error)
            return self.readImage(output)
        }
    }

    /// The file hook: the saved image's path and the parameters.
    public func file(_ path: String, parameters: String, timeout: Duration) async throws(PluginError) {
        guard hooks.contains(.file), let hook = descriptor.pointee.file else { throw missing(.file) }
        let state = Handed(self.state)
        let pathCopy = Handed(strdup(path))
        let params = Handed(strdup(parameters))
        _ = try await call(timeout: timeout, hook: .file) { () -> Result<Bool, PluginError> in
            defer {
                free(pathCopy.value)
                free(params.value)
            }
            var error: UnsafeMutablePointer<CChar>?
            let status = hook(state.value, pathCopy.value, params.value, &error)
            guard status == VC_OK else { return .failure(self.failure(.file, status, error)) }
            free(error)
            return .success(true)
        }
    }

    // MARK: Private

    /// Runs `work` on a thread of its own (serialised when the plugin asks),
    /// and gives up after `timeout`.
    private func call<T: Sendable>(
        timeout: Duration, hook: PluginHook, _ work: @escaping @Sendable () -> Result<T, PluginError>
    ) async throws(PluginError) -> T {
        let journal = self.journal.withLock { $0 }
        let outcome: Result<T, PluginError>? = await withCheckedContinuation { continuation in
            let once = OnceContinuation(continuation)
            let watch = PluginWatchdog.shared.watch(timeout: timeout) { once.resume(nil) }
            do {
                try PluginWorkers.shared.run { [self] in
                    let note = journal?.begin(plugin: name, hook: hook)
                    let result = serialized ? callLock.withLock { _ in work() } : work()
                    journal?.end(note)
                    // The answer first: an expiry racing with it must lose.
                    once.resume(result)
                    PluginWatchdog.shared.cancel(watch)
                }
            } catch {
                PluginWatchdog.shared.cancel(watch)
                once.resume(.failure(PluginError(.hookFailed, "plugin \(name): cannot start a thread for its \(hook) hook: \(error)")))
            }
        }
        guard let outcome else {
            markHung(hook: hook, after: timeout)
            throw PluginError(.timedOut, "plugin \(name): its \(hook) hook did not finish within \(timeout.seconds) s; the plugin is marked hung")
        }
        return try outcome.get()
    }

    private func missing(_ hook: PluginHook) -> PluginError {
        PluginError(.hookFailed, "plugin \(name) has no \(hook) hook")
    }

    private func failure(_ hook: PluginHook, _ status: vc_status, _ error: UnsafeMutablePointer<CChar>?) -> PluginError {
        PluginError(.hookFailed, "plugin \(name): \(PluginLoader.message(error, status))")
    }

    /// Copies the image a hook returned (row by row: the stride may be wider).
    private func readImage(_ output: vc_image) -> Result<RGBAImage, PluginError> {
        guard let pixels = output.pixels, output.width > 0, output.height > 0, output.width <= 65536, output.height <= 65536,
            output.stride >= Int(output.width) * 4
        else {
            return .failure(PluginError(.hookFailed, "plugin \(name): the image hook returned no usable image (\(output.width)x\(output.height), stride \(output.stride))"))
        }
        let width = Int(output.width)
        let height = Int(output.height)
        var copy = [UInt8](repeating: 0, count: width * height * 4)
        copy.withUnsafeMutableBufferPointer { target in
            for row in 0..<height {
                (target.baseAddress! + row * width * 4).update(from: pixels + row * output.stride, count: width * 4)
            }
        }
        do {
            return .success(try RGBAImage(width: width, height: height, pixels: copy))
        } catch {
            return .failure(PluginError(.hookFailed, "plugin \(name): \(error)"))
        }
    }
}

/// A value handed to the hook's thread, which alone uses it from then on
/// (raw pointers are not Sendable).
struct Handed<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
