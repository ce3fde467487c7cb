/// AUTOMATIC1111's sampler names as ComfyUI's (`comfy/samplers.py`
/// `KSAMPLER_NAMES`, `SCHEDULER_NAMES`): A1111 folds the noise schedule
/// into some names ("DPM++ 2M Karras"), ComfyUI keeps it apart.
package enum ComfyUISamplers {
    /// A1111 name -> (ComfyUI sampler, the scheduler the name implies).
    /// Matched in any case; a name not here is taken as ComfyUI's own.
    package static let fromA1111: [String: (sampler: String, scheduler: String?)] = [
        "euler a": ("euler_ancestral", nil),
        "euler": ("euler", nil),
        "lms": ("lms", nil),
        "lms karras": ("lms", "karras"),
        "heun": ("heun", nil),
        "dpm2": ("dpm_2", nil),
        "dpm2 karras": ("dpm_2", "karras"),
        "dpm2 a": ("dpm_2_ancestral", nil),
        "dpm2 a karras": ("dpm_2_ancestral", "karras"),
        "dpm++ 2s a": ("dpmpp_2s_ancestral", nil),
        "dpm++ 2s a karras": ("dpmpp_2s_ancestral", "karras"),
        "dpm++ 2m": ("dpmpp_2m", nil),
        "dpm++ 2m karras": ("dpmpp_2m", "karras"),
        "dpm++ sde": ("dpmpp_sde", nil),
        "dpm++ sde karras": ("dpmpp_sde", "karras"),
        "dpm++ 2m sde": ("dpmpp_2m_sde", nil),
        "dpm++ 2m sde karras": ("dpmpp_2m_sde", "karras"),
        "dpm++ 2m sde exponential": ("dpmpp_2m_sde", "exponential"),
        "dpm++ 3m sde": ("dpmpp_3m_sde", nil),
        "dpm++ 3m sde karras": ("dpmpp_3m_sde", "karras"),
        "dpm++ 3m sde exponential": ("dpmpp_3m_sde", "exponential"),
        "dpm fast": ("dpm_fast", nil),
        "dpm adaptive": ("dpm_adaptive", nil),
        "lcm": ("lcm", nil),
        "ddim": ("ddim", nil),
        "ddpm": ("ddpm", nil),
        "uni_pc": ("uni_pc", nil),
        "unipc": ("uni_pc", nil),
    ]

    /// `name` as ComfyUI's sampler, with the scheduler an A1111 name
    /// implies; nil when it is no A1111 name (then it is ComfyUI's own, or
    /// unknown). A ComfyUI name that is also an A1111 one (`euler`, `lcm`)
    /// maps to itself.
    package static func comfyName(_ name: String) -> (sampler: String, scheduler: String?)? {
        fromA1111[name.lowercased()]
    }
}
