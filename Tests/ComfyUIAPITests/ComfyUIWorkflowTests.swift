import Backends
import ComfyUIAPI
import JSON
import Testing

/// A user's workflow: what is refused, and which nodes the job's fields
/// are written into (and which values are left as the workflow has them).
@Suite struct ComfyUIWorkflowTests {
    /// SDXL with a refiner, as ComfyUI's "Export (API)" writes it: a LoRA
    /// between the checkpoint and the samplers, the positive prompt through
    /// a ControlNet (ControlNetApplyAdvanced's outputs 0 and 1 are its
    /// positive and negative), two KSamplerAdvanced sharing the steps, a
    /// PreviewImage beside the one SaveImage.
    static let refinerWorkflow = """
        {
          "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}, "_meta": {"title": "Base"}},
          "12": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_refiner_1.0.safetensors"}},
          "20": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "add_detail.safetensors",
                 "strength_model": 0.7, "strength_clip": 0.7}},
          "6": {"class_type": "CLIPTextEncodeSDXL", "inputs": {"text_g": "old prompt", "text_l": "old prompt", "clip": ["20", 1],
                "width": 4096, "height": 4096, "crop_w": 0, "crop_h": 0, "target_width": 4096, "target_height": 4096}},
          "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "old negative", "clip": ["20", 1]}},
          "15": {"class_type": "CLIPTextEncodeSDXLRefiner", "inputs": {"text": "old prompt", "ascore": 6, "width": 4096, "height": 4096, "clip": ["12", 1]}},
          "16": {"class_type": "CLIPTextEncodeSDXLRefiner", "inputs": {"text": "old negative", "ascore": 2.5, "width": 4096, "height": 4096, "clip": ["12", 1]}},
          "30": {"class_type": "ControlNetLoader", "inputs": {"control_net_name": "canny.safetensors"}},
          "31": {"class_type": "LoadImage", "inputs": {"image": "edges.png"}},
          "32": {"class_type": "ControlNetApplyAdvanced", "inputs": {"positive": ["6", 0], "negative": ["7", 0], "control_net": ["30", 0],
                 "image": ["31", 0], "strength": 0.8, "start_percent": 0, "end_percent": 1}},
          "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
          "10": {"class_type": "KSamplerAdvanced", "inputs": {"add_noise": "enable", "noise_seed": 1, "steps": 25, "cfg": 7.5,
                 "sampler_name": "dpmpp_2m", "scheduler": "karras", "start_at_step": 0, "end_at_step": 20, "return_with_leftover_noise": "enable",
                 "model": ["20", 0], "positive": ["32", 0], "negative": ["32", 1], "latent_image": ["5", 0]}},
          "11": {"class_type": "KSamplerAdvanced", "inputs": {"add_noise": "disable", "noise_seed": 1, "steps": 25, "cfg": 7.5,
                 "sampler_name": "dpmpp_2m", "scheduler": "karras", "start_at_step": 20, "end_at_step": 10000, "return_with_leftover_noise": "disable",
                 "model": ["12", 0], "positive": ["15", 0], "negative": ["16", 0], "latent_image": ["10", 0]}},
          "17": {"class_type": "VAEDecode", "inputs": {"samples": ["11", 0], "vae": ["12", 2]}},
          "19": {"class_type": "SaveImage", "inputs": {"filename_prefix": "refined", "images": ["17", 0]}},
          "25": {"class_type": "VAEDecode", "inputs": {"samples": ["10", 0], "vae": ["4", 2]}},
          "26": {"class_type": "PreviewImage", "inputs": {"images": ["25", 0]}}
        }
        """

    static func workflow(_ text: String = refinerWorkflow, source: String = "/flows/refiner.json") throws(ComfyUIWorkflowProblem) -> ComfyUIWorkflow {
        try ComfyUIWorkflow(parsing: Array(text.utf8), source: source)
    }

    static func problem(_ text: String) -> String? {
        do {
            _ = try workflow(text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func theJobsFieldsGoIntoTheNodesThatTakeThemAndTheRestIsLeftAsItWas() throws {
        let request = GenerationRequest(
            prompt: "a lighthouse at dusk", negativePrompt: "blurry", model: "dreamshaper_8.safetensors", sampler: "euler", seed: 99, count: 3,
            width: 896, steps: 30, guidance: 5
        )
        let graph = try Self.workflow().graph(for: request, seed: 99, uploadedImage: nil)
        for sampler in ["10", "11"] {
            let inputs = graph[sampler]?["inputs"]
            #expect(inputs?["noise_seed"]?.intValue == 99 && inputs?["steps"]?.intValue == 30 && inputs?["cfg"]?.doubleValue == 5)
            #expect(inputs?["sampler_name"] == "euler", "every sampler gets the job's sampler")
            #expect(inputs?["scheduler"] == "karras", "a field the job leaves out keeps the workflow's value")
        }
        #expect(graph["10"]?["inputs"]?["end_at_step"]?.intValue == 20 && graph["11"]?["inputs"]?["start_at_step"]?.intValue == 20)
        #expect(graph["6"]?["inputs"]?["text_g"] == "a lighthouse at dusk" && graph["6"]?["inputs"]?["text_l"] == "a lighthouse at dusk",
            "found through the ControlNet's positive side")
        #expect(graph["15"]?["inputs"]?["text"] == "a lighthouse at dusk", "the refiner's encoder too")
        #expect(graph["7"]?["inputs"]?["text"] == "blurry" && graph["16"]?["inputs"]?["text"] == "blurry", "the ControlNet's output 1 is the negative side")
        #expect(graph["4"]?["inputs"]?["ckpt_name"] == "dreamshaper_8.safetensors" && graph["12"]?["inputs"]?["ckpt_name"] == "dreamshaper_8.safetensors")
        let latent = graph["5"]?["inputs"]
        #expect(latent?["width"]?.intValue == 896 && latent?["height"]?.intValue == 1024 && latent?["batch_size"]?.intValue == 3)
        #expect(graph["31"]?["inputs"]?["image"] == "edges.png", "the ControlNet's own picture is left alone in text to image")
        #expect(graph["20"]?["inputs"]?["lora_name"] == "add_detail.safetensors" && graph["20"]?["inputs"]?["strength_model"]?.doubleValue == 0.7)
        #expect(graph["4"]?["_meta"]?["title"] == "Base", "what ComfyUI ignores is kept")
        #expect(graph.objectValue?.keys == (try Self.workflow()).nodes.keys, "no node added, in the file's order")
        #expect(ComfyUIWorkflow.seed(in: graph) == 99)
    }

    @Test func aJobThatGivesOnlyAPromptKeepsEveryOtherValueOfTheWorkflow() throws {
        let graph = try Self.workflow().graph(for: GenerationRequest(prompt: "a fox"), seed: 5, uploadedImage: nil)
        #expect(graph["4"]?["inputs"]?["ckpt_name"] == "sd_xl_base_1.0.safetensors")
        #expect(graph["7"]?["inputs"]?["text"] == "old negative", "no negative prompt given: the workflow's stays")
        #expect(graph["10"]?["inputs"]?["steps"]?.intValue == 25 && graph["10"]?["inputs"]?["cfg"]?.doubleValue == 7.5)
        #expect(graph["5"]?["inputs"]?["width"]?.intValue == 1024 && graph["5"]?["inputs"]?["batch_size"]?.intValue == 1)
    }

    @Test func anInitImageGoesIntoTheLoadImageThatFeedsAVAEEncodeAndABatchRepeatsItsLatent() throws {
        let text = """
            {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "a.safetensors"}},
             "2": {"class_type": "LoadImage", "inputs": {"image": "pose.png"}},
             "3": {"class_type": "LoadImage", "inputs": {"image": "photo.png"}},
             "4": {"class_type": "ImageScale", "inputs": {"image": ["3", 0], "upscale_method": "lanczos", "width": 768, "height": 768, "crop": "center"}},
             "5": {"class_type": "VAEEncode", "inputs": {"pixels": ["4", 0], "vae": ["1", 2]}},
             "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["1", 1]}},
             "7": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7, "sampler_name": "euler", "scheduler": "normal",
                   "denoise": 0.6, "model": ["1", 0], "positive": ["6", 0], "negative": ["6", 0], "latent_image": ["5", 0]}},
             "8": {"class_type": "VAEDecode", "inputs": {"samples": ["7", 0], "vae": ["1", 2]}},
             "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["8", 0]}}}
            """
        let workflow = try Self.workflow(text)
        let one = try workflow.graph(for: GenerationRequest(prompt: "p"), seed: 1, uploadedImage: "upload.png")
        #expect(one["3"]?["inputs"]?["image"] == "upload.png" && one["2"]?["inputs"]?["image"] == "pose.png", "through ImageScale to the VAEEncode")
        #expect(one["7"]?["inputs"]?["denoise"]?.doubleValue == 0.6 && one["10"] == nil)
        let three = try workflow.graph(for: GenerationRequest(prompt: "p", count: 3), seed: 1, uploadedImage: "upload.png")
        #expect(three["10"]?["class_type"] == "RepeatLatentBatch" && three["10"]?["inputs"]?["samples"] == ["5", 0])
        #expect(three["10"]?["inputs"]?["amount"]?.intValue == 3 && three["7"]?["inputs"]?["latent_image"] == ["10", 0], "the sampler takes the batch")
    }

    @Test func theBuiltInGraphsAreWorkflowsToo() throws {
        let request = GenerationRequest(prompt: "p", model: "m.safetensors", count: 2)
        let text = try ComfyUIGraph.textToImage.graph(for: request, seed: 3, uploadedImage: nil)
        #expect(text["5"]?["inputs"]?["batch_size"]?.intValue == 2 && text["3"]?["inputs"]?["seed"]?.intValue == 3)
        let image = try ComfyUIGraph.imageToImage.graph(for: request, seed: 3, uploadedImage: "in.png")
        #expect(image["10"]?["inputs"]?["image"] == "in.png" && image["12"]?["class_type"] == "RepeatLatentBatch" && image["3"]?["inputs"]?["latent_image"] == ["12", 0])
        #expect(image["3"]?["inputs"]?["denoise"]?.doubleValue == ComfyUIGraph.imageToImageDenoise)
    }

    @Test func aFileThatIsNotAnAPIFormatWorkflowIsRefusedSayingWhy() {
        #expect(Self.problem("{\n  \"1\": {\"class_type\": \"KSampler\",\n  }\n}") == "workflow /flows/refiner.json: is not JSON: unexpected '}', expected a string key at line 3, column 3")
        #expect(Self.problem(#"{"last_node_id": 9, "nodes": [], "links": [], "version": 0.4}"#) == """
            workflow /flows/refiner.json: is in ComfyUI's UI format (it has "nodes" and "links"); save it in API format (Workflow > Export (API)) and name that file
            """)
        #expect(Self.problem("[1, 2]") == "workflow /flows/refiner.json: expected a JSON object of nodes (ComfyUI's API format), got a JSON array")
        #expect(Self.problem(#"{"3": {"class_type": "KSampler"}}"#) == #"workflow /flows/refiner.json: node "3" is not {"class_type": ..., "inputs": {...}} (is the file in ComfyUI's API format?)"#)
        let noSave = Self.refinerWorkflow.replacing("\"SaveImage\"", with: "\"PreviewImage\"")
        #expect(Self.problem(noSave) == "workflow /flows/refiner.json: has no SaveImage node: the images a job gets are the ones SaveImage writes")
        let twoSaves = Self.refinerWorkflow.replacing("\"PreviewImage\"", with: "\"SaveImage\"")
        #expect(Self.problem(twoSaves) == "workflow /flows/refiner.json: has 2 SaveImage nodes (19, 26): keep one (a PreviewImage shows without saving)")
        let noSampler = Self.refinerWorkflow.replacing("\"KSamplerAdvanced\"", with: "\"SamplerCustom\"")
        #expect(Self.problem(noSampler) == "workflow /flows/refiner.json: has no sampler node (KSampler or KSamplerAdvanced) to write the seed and steps into")
        let noEncoder = Self.refinerWorkflow.replacing("\"CLIPTextEncodeSDXLRefiner\"", with: "\"CLIPTextEncodeHunyuan\"")
        #expect(Self.problem(noEncoder) == """
            workflow /flows/refiner.json: node "11" (KSamplerAdvanced)'s positive input leads to no text encoder \
            (CLIPTextEncode, CLIPTextEncodeSDXL, CLIPTextEncodeSDXLRefiner) to write the prompt into
            """)
    }

    static func refusal(_ workflow: ComfyUIWorkflow, _ request: GenerationRequest, uploadedImage: String? = nil) -> String? {
        do {
            _ = try workflow.graph(for: request, seed: 1, uploadedImage: uploadedImage)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aJobThatNeedsANodeTheWorkflowLacksIsRefusedNamingIt() throws {
        let workflow = try Self.workflow()
        // Its one LoadImage is the ControlNet's: an init image goes there, and the latent takes the count.
        let graph = try workflow.graph(for: GenerationRequest(prompt: "p", count: 2), seed: 1, uploadedImage: "u.png")
        #expect(graph["31"]?["inputs"]?["image"] == "u.png" && graph["5"]?["inputs"]?["batch_size"]?.intValue == 2)
        let twoLoads = try Self.workflow(Self.refinerWorkflow.replacing(#""30": {"class_type": "ControlNetLoader""#, with: #""29": {"class_type": "LoadImage", "inputs": {"image": "b.png"}}, "30": {"class_type": "ControlNetLoader""#))
        #expect(Self.refusal(twoLoads, GenerationRequest(prompt: "p"), uploadedImage: "u.png") == "has 2 LoadImage nodes (29, 31) the init image could go into; keep one that feeds a VAEEncode")
        #expect(Self.refusal(try Self.workflow(Self.refinerWorkflow.replacing(#""class_type": "LoadImage""#, with: #""class_type": "ImageInvert""#)), GenerationRequest(prompt: "p"), uploadedImage: "u.png")
            == "has no LoadImage node for the init image; leave the init image out, or add one")
        let noLatent = try Self.workflow(Self.refinerWorkflow.replacing("\"EmptyLatentImage\"", with: "\"LatentFromBatch\""))
        #expect(Self.refusal(noLatent, GenerationRequest(prompt: "p")) == "has no empty latent node (EmptyLatentImage) for a text-to-image job; give an init image, or add one")
        let noLoader = try Self.workflow(Self.refinerWorkflow.replacing("\"ckpt_name\"", with: "\"unet_name\""))
        #expect(Self.refusal(noLoader, GenerationRequest(prompt: "p", model: "m")) == "has no checkpoint loader (a node with a ckpt_name input, such as CheckpointLoaderSimple) to load the model m into")
        #expect(Self.refusal(noLoader, GenerationRequest(prompt: "p")) == nil, "a job that names no model runs the workflow's")
        let noNegative = try Self.workflow(Self.refinerWorkflow.replacing(#""negative": ["32", 1]"#, with: #""negative": ["40", 0]"#).replacing(#""negative": ["16", 0]"#, with: #""negative": ["40", 0]"#))
        #expect(Self.refusal(noNegative, GenerationRequest(prompt: "p", negativePrompt: "n"))?.hasPrefix("no sampler's negative input leads to a text encoder") == true)
        #expect(Self.refusal(noNegative, GenerationRequest(prompt: "p")) == nil)
    }
}
