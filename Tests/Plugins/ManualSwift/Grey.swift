// Sources/Grey/Grey.swift
import VisionCraftPluginABI
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

// No options (an empty list, ended by a NULL name): a step that gives one is refused.
nonisolated(unsafe) let options: UnsafeMutablePointer<vc_plugin_option> = {
    let list = UnsafeMutablePointer<vc_plugin_option>.allocate(capacity: 1)
    list.initialize(to: vc_plugin_option())
    return list
}()

nonisolated(unsafe) let descriptor: UnsafeMutablePointer<vc_plugin_descriptor> = {
    let d = UnsafeMutablePointer<vc_plugin_descriptor>.allocate(capacity: 1)
    d.initialize(to: vc_plugin_descriptor(
        abi_major: UInt16(VC_PLUGIN_ABI_MAJOR), abi_minor: UInt16(VC_PLUGIN_ABI_MINOR),
        size: UInt32(MemoryLayout<vc_plugin_descriptor>.size),
        name: UnsafePointer(strdup("grey")), version: UnsafePointer(strdup("1.0.0")),
        description: UnsafePointer(strdup("Greyscale")),
        hooks: UInt32(VC_HOOK_IMAGE), flags: 0, init: nil, deinit: nil, prompt: nil,
        image: { _, input, _, output, _ in
            guard let input, let output else { return VC_INVALID_INPUT }
            let image = input.pointee
            for y in 0..<Int(image.height) {
                let row = image.pixels + y * image.stride
                for x in 0..<Int(image.width) {
                    let p = row + 4 * x
                    let r = Int(p[0]) * 77, g = Int(p[1]) * 150, b = Int(p[2]) * 29
                    let v = UInt8((r + g + b) >> 8)
                    p[0] = v; p[1] = v; p[2] = v
                }
            }
            output.pointee = image
            return VC_OK
        },
        file: nil, image_plan: nil,
        options: options))
    return d
}()

@_cdecl("visioncraft_plugin_entry")
public func entry() -> UnsafePointer<vc_plugin_descriptor> { UnsafePointer(descriptor) }
