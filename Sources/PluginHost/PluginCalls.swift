import Imaging
import Posix
import Synchronization
import VisionCraftPluginABI

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

    /// The image hook on a copy of `image`: RGBA pixels in, RGBA pixels out
    /// (maybe another size); `image` itself is untouched.
    public func image(_ image: RGBAImage, parameters: String, timeout: Duration) async throws(PluginError) -> RGBAImage {
        let input: PixelBuffer
        do {
            input = try PixelBuffer(copying: image)
        } catch {
            throw PluginError(.hookFailed, "plugin \(name): \(error)")
        }
        return try await self.image(input, parameters: parameters, timeout: timeout).image
    }

    /// The image hook on `input`, which it may write: returns `input` when
    /// the hook changed it in place, else the hook's new pixels, adopted
    /// without a copy. The hook's thread holds `input` until the hook
    /// returns (however late); the caller must not read it before this
    /// returns.
    public func image(_ input: PixelBuffer, parameters: String, timeout: Duration) async throws(PluginError) -> PixelBuffer {
        guard hooks.contains(.image), let hook = descriptor.pointee.image else { throw missing(.image) }
        let state = Handed(self.state)
        let params = Handed(strdup(parameters))
        return try await call(timeout: timeout, hook: .image) { () -> Result<PixelBuffer, PluginError> in
            defer { free(params.value) }
            var pixels = vc_image(pixels: input.pixels, width: UInt32(input.width), height: UInt32(input.height), stride: input.stride)
            var output = vc_image(pixels: nil, width: 0, height: 0, stride: 0)
            var error: UnsafeMutablePointer<CChar>?
            let status = hook(state.value, &pixels, params.value, &output, &error)
            guard status == VC_OK else {
                if let returned = output.pixels, !self.isInside(returned, input) { free(returned) }
                return .failure(self.failure(.image, status, error))
            }
            free(error)
            return self.adopt(output, input: input)
        }
    }

    /// What the image hook says it will need for a `width` x `height` input
    /// with `parameters` (its `image_plan`, plugin ABI 1.1); nil for a
    /// plugin that declares no plan.
    public func imagePlan(width: Int, height: Int, parameters: String, timeout: Duration) async throws(PluginError) -> ImagePlan? {
        guard hooks.contains(.image) else { throw missing(.image) }
        guard let plan = descriptor.pointee.image_plan else { return nil }
        let state = Handed(self.state)
        let params = Handed(strdup(parameters))
        return try await call(timeout: timeout, hook: .image) { () -> Result<ImagePlan?, PluginError> in
            defer { free(params.value) }
            var answer = vc_image_plan()
            var error: UnsafeMutablePointer<CChar>?
            let status = plan(state.value, UInt32(clamping: width), UInt32(clamping: height), params.value, &answer, &error)
            guard status == VC_OK else { return .failure(self.failure(.image, status, error)) }
            free(error)
            guard answer.width > 0, answer.height > 0 else {
                return .failure(PluginError(.hookFailed, "plugin \(self.name): its image plan names an empty image (\(answer.width)x\(answer.height))"))
            }
            return .success(ImagePlan(
                width: Int(answer.width), height: Int(answer.height), inPlace: answer.in_place != 0,
                workingBytes: Int(clamping: answer.working_bytes)
            ))
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
        // The result crosses from the hook's thread under a lock that both
        // sides take: what the hook made (a PixelBuffer's fields, its
        // pixels) is visibly complete before the caller reads it, which the
        // continuation alone does not show ThreadSanitizer.
        let handed = Lock<Result<T, PluginError>?>(nil)
        let answered: Bool = await withCheckedContinuation { continuation in
            let once = OnceContinuation(continuation)
            let watch = PluginWatchdog.shared.watch(timeout: timeout) { once.resume(false) }
            do {
                try PluginWorkers.shared.run { [self] in
                    let note = journal?.begin(plugin: name, hook: hook)
                    let result = serialized ? callLock.withLock { _ in work() } : work()
                    journal?.end(note)
                    handed.withLock { $0 = result }
                    // The answer first: an expiry racing with it must lose.
                    once.resume(true)
                    PluginWatchdog.shared.cancel(watch)
                }
            } catch {
                PluginWatchdog.shared.cancel(watch)
                handed.withLock { $0 = .failure(PluginError(.hookFailed, "plugin \(name): cannot start a thread for its \(hook) hook: \(error)")) }
                once.resume(true)
            }
        }
        let outcome = answered ? handed.withLock { $0 } : nil
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

    /// The largest side a hook may return.
    static let maximumSide = 65536

    /// The image a hook returned: `input` itself when changed in place, its
    /// own new pixels adopted as they are, or a copy of a part of `input` it
    /// pointed into (the ABI asks for the whole input or new memory).
    private func adopt(_ output: vc_image, input: PixelBuffer) -> Result<PixelBuffer, PluginError> {
        let inside = output.pixels.map { isInside($0, input) } ?? false
        guard let pixels = output.pixels, output.width > 0, output.height > 0, output.width <= Self.maximumSide, output.height <= Self.maximumSide,
            output.stride >= Int(output.width) * 4
        else {
            if let pixels = output.pixels, !inside { free(pixels) }
            return .failure(PluginError(.hookFailed, "plugin \(name): the image hook returned no usable image (\(output.width)x\(output.height), stride \(output.stride))"))
        }
        let width = Int(output.width)
        let height = Int(output.height)
        guard inside else { return .success(PixelBuffer(adopting: pixels, width: width, height: height, stride: output.stride)) }
        if pixels == input.pixels, width == input.width, height == input.height, output.stride == input.stride { return .success(input) }
        guard pixels - input.pixels + (height - 1) * output.stride + width * 4 <= input.byteCount else {
            return .failure(PluginError(.hookFailed, "plugin \(name): the image hook returned \(width)x\(height) pixels reaching past its input"))
        }
        guard let memory = malloc(width * height * 4)?.assumingMemoryBound(to: UInt8.self) else {
            return .failure(PluginError(.hookFailed, "plugin \(name): out of memory for the \(width)x\(height) image its hook returned"))
        }
        for row in 0..<height {
            (memory + row * width * 4).update(from: pixels + row * output.stride, count: width * 4)
        }
        return .success(PixelBuffer(adopting: memory, width: width, height: height, stride: width * 4))
    }

    /// Whether `pointer` lies in `buffer`'s memory.
    private func isInside(_ pointer: UnsafeMutablePointer<UInt8>, _ buffer: PixelBuffer) -> Bool {
        pointer >= buffer.pixels && pointer < buffer.pixels + buffer.byteCount
    }
}

/// A value handed to the hook's thread, which alone uses it from then on
/// (raw pointers are not Sendable).
struct Handed<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
