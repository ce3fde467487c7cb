import JSON

/// The AUTOMATIC1111 release the emulator answers as. 1.9 split the noise
/// schedule from the sampler: before it, samplers carried it in their names
/// ("DPM++ 2M Karras"), there was no `/sdapi/v1/schedulers` and no
/// `scheduler` field, and an unknown sampler was a 404 "Sampler not found"
/// (1.9 on resolve it to the first sampler instead).
package enum A1111Release: String, Sendable, CaseIterable {
    case v1_8 = "1.8"
    case v1_10 = "1.10"

    /// What `Version` in the infotext and `version` in `info` say.
    var version: String {
        switch self {
        case .v1_8: "v1.8.0"
        case .v1_10: "v1.10.1"
        }
    }

    /// Whether schedulers are separate: the route, the field, the infotext's `Schedule type`.
    var hasSchedulers: Bool { self == .v1_10 }

    /// `all_samplers`, in order.
    var samplers: [A1111Catalog.Sampler] {
        switch self {
        case .v1_8: Self.combinedNameSamplers
        case .v1_10: A1111Catalog.samplers
        }
    }

    /// 1.8's samplers (modules/sd_samplers_kdiffusion.py before 1.9, then
    /// the timestep samplers and LCM). "DPM++ 2M SDE" shares its alias with
    /// "DPM++ 2M SDE Karras" there.
    private static let combinedNameSamplers: [A1111Catalog.Sampler] = {
        typealias Sampler = A1111Catalog.Sampler
        let karras: JSONObject = ["scheduler": "karras"]
        let exponential: JSONObject = ["scheduler": "exponential"]
        func with(_ base: JSONObject, _ extra: JSONObject) -> JSONObject {
            var merged = base
            for (key, value) in extra { merged[key] = value }
            return merged
        }
        let sde: JSONObject = ["brownian_noise": true]
        let heun: JSONObject = ["brownian_noise": true, "solver_type": "heun"]
        let threeM: JSONObject = ["discard_next_to_last_sigma": true, "brownian_noise": true]
        return [
            Sampler(name: "DPM++ 2M Karras", aliases: ["k_dpmpp_2m_ka"], options: karras),
            Sampler(name: "DPM++ SDE Karras", aliases: ["k_dpmpp_sde_ka"], options: with(karras, ["second_order": true, "brownian_noise": true])),
            Sampler(name: "DPM++ 2M SDE Exponential", aliases: ["k_dpmpp_2m_sde_exp"], options: with(exponential, sde)),
            Sampler(name: "DPM++ 2M SDE Karras", aliases: ["k_dpmpp_2m_sde_ka"], options: with(karras, sde)),
            Sampler(name: "Euler a", aliases: ["k_euler_a", "k_euler_ancestral"], options: ["uses_ensd": true]),
            Sampler(name: "Euler", aliases: ["k_euler"], options: [:]),
            Sampler(name: "LMS", aliases: ["k_lms"], options: [:]),
            Sampler(name: "Heun", aliases: ["k_heun"], options: ["second_order": true]),
            Sampler(name: "DPM2", aliases: ["k_dpm_2"], options: ["discard_next_to_last_sigma": true, "second_order": true]),
            Sampler(name: "DPM2 a", aliases: ["k_dpm_2_a"], options: ["discard_next_to_last_sigma": true, "uses_ensd": true, "second_order": true]),
            Sampler(name: "DPM++ 2S a", aliases: ["k_dpmpp_2s_a"], options: ["uses_ensd": true, "second_order": true]),
            Sampler(name: "DPM++ 2M", aliases: ["k_dpmpp_2m"], options: [:]),
            Sampler(name: "DPM++ SDE", aliases: ["k_dpmpp_sde"], options: ["second_order": true, "brownian_noise": true]),
            Sampler(name: "DPM++ 2M SDE", aliases: ["k_dpmpp_2m_sde_ka"], options: sde),
            Sampler(name: "DPM++ 2M SDE Heun", aliases: ["k_dpmpp_2m_sde_heun"], options: heun),
            Sampler(name: "DPM++ 2M SDE Heun Karras", aliases: ["k_dpmpp_2m_sde_heun_ka"], options: with(karras, heun)),
            Sampler(name: "DPM++ 2M SDE Heun Exponential", aliases: ["k_dpmpp_2m_sde_heun_exp"], options: with(exponential, heun)),
            Sampler(name: "DPM++ 3M SDE", aliases: ["k_dpmpp_3m_sde"], options: threeM),
            Sampler(name: "DPM++ 3M SDE Karras", aliases: ["k_dpmpp_3m_sde_ka"], options: with(karras, threeM)),
            Sampler(name: "DPM++ 3M SDE Exponential", aliases: ["k_dpmpp_3m_sde_exp"], options: with(exponential, threeM)),
            Sampler(name: "DPM fast", aliases: ["k_dpm_fast"], options: ["uses_ensd": true]),
            Sampler(name: "DPM adaptive", aliases: ["k_dpm_ad"], options: ["uses_ensd": true]),
            Sampler(name: "LMS Karras", aliases: ["k_lms_ka"], options: karras),
            Sampler(
                name: "DPM2 Karras", aliases: ["k_dpm_2_ka"],
                options: with(karras, ["discard_next_to_last_sigma": true, "uses_ensd": true, "second_order": true])
            ),
            Sampler(
                name: "DPM2 a Karras", aliases: ["k_dpm_2_a_ka"],
                options: with(karras, ["discard_next_to_last_sigma": true, "uses_ensd": true, "second_order": true])
            ),
            Sampler(name: "DPM++ 2S a Karras", aliases: ["k_dpmpp_2s_a_ka"], options: with(karras, ["uses_ensd": true, "second_order": true])),
            Sampler(name: "Restart", aliases: ["restart"], options: with(karras, ["second_order": true])),
            Sampler(name: "DDIM", aliases: ["ddim"], options: [:]),
            Sampler(name: "PLMS", aliases: ["plms"], options: [:]),
            Sampler(name: "UniPC", aliases: ["unipc"], options: [:]),
            Sampler(name: "LCM", aliases: ["k_lcm"], options: [:]),
        ]
    }()
}
