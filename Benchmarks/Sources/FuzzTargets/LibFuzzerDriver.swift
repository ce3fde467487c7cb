#if VISIONCRAFT_LIBFUZZER
import Posix

/// libFuzzer's driver (`LLVMFuzzerRunDriver`, in the runtime that
/// `-sanitize=fuzzer` links) running one target: coverage-guided inputs, a
/// failure becomes a crash, so libFuzzer saves the input.
enum LibFuzzerDriver {
    /// The runner the C callback reaches (libFuzzer calls it on one thread).
    nonisolated(unsafe) static var runner: (any FuzzRunner)?

    static func run(_ target: FuzzTarget, programName: String, arguments: [String]) -> Int32 {
        do {
            runner = try target.make()
        } catch {
            FuzzTool.write(to: .standardError, "visioncraft-fuzz: \(error)\n")
            return 1
        }
        // libFuzzer reads its flags and corpus folders from argv, without our target name.
        var cStrings = ([programName] + arguments).map { strdup($0) }
        cStrings.append(nil)
        var argc = CInt(arguments.count + 1)
        return cStrings.withUnsafeMutableBufferPointer { buffer in
            var argv = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
                do {
                    try LibFuzzerDriver.runner?.run(input)
                } catch {
                    FuzzTool.write(to: .standardError, "visioncraft-fuzz: \(error)\n")
                    abort()
                }
                return 0
            }
        }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif
