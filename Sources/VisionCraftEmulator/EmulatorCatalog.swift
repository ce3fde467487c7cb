/// The models and samplers the emulator offers: the service's full lists as
/// its public clients hard-code them (the docs show only the first few; see
/// ../shared/visioncraft-observed.md in the planning notes).
package enum EmulatorCatalog {
    /// The 58 models, in the order the service lists them.
    package static let models: [String] = [
        "3guofeng3_v3.4", "absolutereality_v1.6", "absolutereality_v1.8.1",
        "amIReal_v4.1", "analog_diffusion_v1", "anything_v3.0",
        "anything_v4.5", "anything_V5", "abyss_orangemix_v3",
        "blazing_drive_v10g", "cetusmix_v35", "childrensStories_v1_3D",
        "childrensStories_v1_SemiReal", "childrensStories_v1_ToonAnime", "Counterfeit_v3.0",
        "cuteyukimix_midchapter3", "cyberrealistic_v3.3", "dalcefo_v4",
        "deliberate_v2", "deliberate_v3", "dreamlike_anime_v1.0",
        "dreamlike_diffusion_v1.0", "dreamlike_photoreal_v2.0", "dreamshaper_v6",
        "dreamshaper_v7", "dreamshaper_v8", "edgeOfRealism_eor_v2.0",
        "EimisAnimeDiffusion_v1", "elldreths-vivid", "epicrealism_natural_Sin_RC1",
        "ICantBelieveItsNotPhotography_seco", "juggernaut_aftermath", "lofi_v4",
        "lyriel_v1.6", "majicmixRealistic_v4", "mechamix_v1.0",
        "meinamix_v9", "meinamix_v11", "neverendingDream_v1.22",
        "openjourney_v4", "pastelMixStylizedAnime_pruned", "portraitplus_v1.0",
        "protogen_x3.4", "Realistic_Vision_v1.4", "Realistic_Vision_v2.0",
        "Realistic_Vision_v4.0", "Realistic_Vision_v5.0", "redshift_diffusion_v1.0",
        "revAnimated_v1.2.2", "rundiffusionFX_v2.5D_v1.0", "rundiffusionFX_photorealistic_v1.0",
        "StableDiffusion_v1.4", "Stable_Diffusion_v1.5", "Stable_Diffusion_v1.5_inpainting",
        "shoninsBeautiful_v1.0", "theallys_mix_v2", "timeless_v1.0",
        "toonyou_beta6",
    ]

    /// The 19 samplers (AUTOMATIC1111 names).
    package static let samplers: [String] = [
        "Euler", "Euler a", "LMS", "Heun",
        "DPM2", "DPM2 a", "DPM++ 2S a", "DPM++ 2M",
        "DPM++ SDE", "DPM fast", "DPM adaptive", "LMS Karras",
        "DPM2 Karras", "DPM2 a Karras", "DPM++ 2S a Karras", "DPM++ 2M Karras",
        "DPM++ SDE Karras", "DDIM", "PLMS",
    ]
}
