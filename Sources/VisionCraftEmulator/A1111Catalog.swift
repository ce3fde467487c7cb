import JSON

/// The checkpoints, samplers and schedulers the A1111 emulator offers, and
/// how AUTOMATIC1111 1.10 resolves their names (modules/sd_models.py,
/// sd_samplers.py, sd_samplers_kdiffusion.py, sd_schedulers.py).
package enum A1111Catalog {
    /// A checkpoint file, with the names A1111 derives from it.
    package struct Checkpoint: Sendable, Equatable {
        /// The file's name under models/Stable-diffusion: "v1-5-pruned-emaonly.safetensors".
        package let name: String
        /// The file's SHA-256 (A1111 hashes the whole file).
        package let sha256: String

        /// Where the file lives on the emulated server.
        static let folder = "/home/webui/stable-diffusion-webui/models/Stable-diffusion"

        /// The first 10 hex digits of the SHA-256 (`shorthash`, the `hash` of /sd-models).
        package var shorthash: String { String(sha256.prefix(10)) }
        /// "v1-5-pruned-emaonly.safetensors [6ce0161689]": what `sd_model_checkpoint` holds.
        package var title: String { "\(name) [\(shorthash)]" }
        /// The name without its extension (`model_name`, and `name_for_extra`
        /// as the infotext's `Model` and info's `sd_model_name` give it).
        package var modelName: String {
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
            return String(name[..<dot])
        }
        package var filename: String { "\(Self.folder)/\(name)" }

        /// The names `checkpoint_aliases` maps to this checkpoint (A1111 also
        /// registers its legacy 8-digit hash, which the emulator does not invent).
        var aliases: [String] {
            [modelName, title, name, shorthash, sha256, "\(modelName) [\(shorthash)]"]
        }

        /// One item of `GET /sdapi/v1/sd-models`.
        var json: JSON {
            [
                "title": .string(title), "model_name": .string(modelName), "hash": .string(shorthash),
                "sha256": .string(sha256), "filename": .string(filename), "config": nil,
            ]
        }
    }

    /// Two checkpoints with their real hashes; the first is loaded at start.
    package static let checkpoints: [Checkpoint] = [
        Checkpoint(name: "v1-5-pruned-emaonly.safetensors", sha256: "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa"),
        Checkpoint(name: "sd_xl_base_1.0.safetensors", sha256: "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b"),
    ]

    /// `checkpoint_aliases.get(name)`.
    static func checkpoint(alias: String) -> Checkpoint? {
        checkpoints.first { $0.aliases.contains(alias) }
    }

    /// A sampler: its name, the aliases and options `GET /sdapi/v1/samplers` lists.
    package struct Sampler: Sendable {
        package let name: String
        package let aliases: [String]
        package let options: JSONObject

        var json: JSON { ["name": .string(name), "aliases": .array(aliases.map(JSON.string)), "options": .object(options)] }
    }

    /// `all_samplers` in order: k-diffusion's, then the timestep samplers, then LCM.
    package static let samplers: [Sampler] = [
        Sampler(name: "DPM++ 2M", aliases: ["k_dpmpp_2m"], options: ["scheduler": "karras"]),
        Sampler(name: "DPM++ SDE", aliases: ["k_dpmpp_sde"], options: ["scheduler": "karras", "second_order": true, "brownian_noise": true]),
        Sampler(name: "DPM++ 2M SDE", aliases: ["k_dpmpp_2m_sde"], options: ["scheduler": "exponential", "brownian_noise": true]),
        Sampler(
            name: "DPM++ 2M SDE Heun", aliases: ["k_dpmpp_2m_sde_heun"],
            options: ["scheduler": "exponential", "brownian_noise": true, "solver_type": "heun"]
        ),
        Sampler(name: "DPM++ 2S a", aliases: ["k_dpmpp_2s_a"], options: ["scheduler": "karras", "uses_ensd": true, "second_order": true]),
        Sampler(
            name: "DPM++ 3M SDE", aliases: ["k_dpmpp_3m_sde"],
            options: ["scheduler": "exponential", "discard_next_to_last_sigma": true, "brownian_noise": true]
        ),
        Sampler(name: "Euler a", aliases: ["k_euler_a", "k_euler_ancestral"], options: ["uses_ensd": true]),
        Sampler(name: "Euler", aliases: ["k_euler"], options: [:]),
        Sampler(name: "LMS", aliases: ["k_lms"], options: [:]),
        Sampler(name: "Heun", aliases: ["k_heun"], options: ["second_order": true]),
        Sampler(name: "DPM2", aliases: ["k_dpm_2"], options: ["scheduler": "karras", "discard_next_to_last_sigma": true, "second_order": true]),
        Sampler(
            name: "DPM2 a", aliases: ["k_dpm_2_a"],
            options: ["scheduler": "karras", "discard_next_to_last_sigma": true, "uses_ensd": true, "second_order": true]
        ),
        Sampler(name: "DPM fast", aliases: ["k_dpm_fast"], options: ["uses_ensd": true]),
        Sampler(name: "DPM adaptive", aliases: ["k_dpm_ad"], options: ["uses_ensd": true]),
        Sampler(name: "Restart", aliases: ["k_restart"], options: ["scheduler": "karras", "second_order": true]),
        Sampler(name: "DDIM", aliases: ["ddim"], options: [:]),
        Sampler(name: "DDIM CFG++", aliases: ["ddim_cfgpp"], options: [:]),
        Sampler(name: "PLMS", aliases: ["plms"], options: [:]),
        Sampler(name: "UniPC", aliases: ["unipc"], options: [:]),
        Sampler(name: "LCM", aliases: ["k_lcm"], options: [:]),
    ]

    /// A noise schedule, as `GET /sdapi/v1/schedulers` lists it.
    package struct Scheduler: Sendable {
        package let name: String
        package let label: String
        package var defaultRho = -1.0
        package var needInnerModel = false
        package var aliases: [String]? = nil

        var json: JSON {
            [
                "name": .string(name), "label": .string(label), "aliases": aliases.map { .array($0.map(JSON.string)) } ?? nil,
                "default_rho": .number(JSONNumber(defaultRho)!), "need_inner_model": .bool(needInnerModel),
            ]
        }
    }

    /// `sd_schedulers.schedulers` in order; the first, Automatic, is the sampler's own.
    package static let schedulers: [Scheduler] = [
        Scheduler(name: "automatic", label: "Automatic"),
        Scheduler(name: "uniform", label: "Uniform", needInnerModel: true),
        Scheduler(name: "karras", label: "Karras", defaultRho: 7.0),
        Scheduler(name: "exponential", label: "Exponential"),
        Scheduler(name: "polyexponential", label: "Polyexponential", defaultRho: 1.0),
        Scheduler(name: "sgm_uniform", label: "SGM Uniform", needInnerModel: true, aliases: ["SGMUniform"]),
        Scheduler(name: "kl_optimal", label: "KL Optimal"),
        Scheduler(name: "align_your_steps", label: "Align Your Steps"),
        Scheduler(name: "simple", label: "Simple", needInnerModel: true),
        Scheduler(name: "normal", label: "Normal", needInnerModel: true),
        Scheduler(name: "ddim", label: "DDIM", needInnerModel: true),
        Scheduler(name: "beta", label: "Beta", needInnerModel: true),
    ]

    /// `get_sampler_and_scheduler`: never fails. A name ending in " <scheduler>"
    /// ("DPM++ 2M Karras") selects that scheduler; an unknown sampler becomes
    /// the first (DPM++ 2M), an unknown scheduler Automatic; with
    /// `convertAutomatic`, the sampler's own default scheduler reads Automatic.
    static func samplerAndScheduler(_ samplerName: String?, _ schedulerName: String?, convertAutomatic: Bool = true) -> (sampler: String, scheduler: String) {
        let defaultSampler = samplers[0]
        var found = schedulerName.flatMap { key in schedulers.first { $0.name == key } ?? schedulers.first { $0.label == key } } ?? schedulers[0]
        var name = samplerName.flatMap { $0.isEmpty ? nil : $0 } ?? defaultSampler.name
        for scheduler in schedulers {
            for option in [scheduler.label, scheduler.name] + (scheduler.aliases ?? []) {
                // Python's str.endswith compares code points.
                let suffix = Array((" " + option).unicodeScalars)
                let scalars = Array(name.unicodeScalars)
                if scalars.count >= suffix.count, scalars.suffix(suffix.count).elementsEqual(suffix) {
                    found = scheduler
                    name = String(String.UnicodeScalarView(scalars.dropLast(suffix.count)))
                    break
                }
            }
        }
        let sampler = samplers.first { $0.name == name } ?? defaultSampler
        if convertAutomatic, sampler.options["scheduler"]?.stringValue == found.name {
            found = schedulers[0]
        }
        return (sampler.name, found.label)
    }
}
