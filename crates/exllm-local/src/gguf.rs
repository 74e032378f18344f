//! Opening a GGUF file safely: a missing file, a file that is not GGUF, a truncated one and an
//! unsupported architecture each become a typed error before any model code runs. Also the
//! Q8_0 re-encode: candle has fast CPU kernels for Q4_0, Q8_0 and the K-quants but not for
//! Q4_1 / Q5_0 / Q5_1, so such tensors are converted once at load (written into an in-memory
//! GGUF that the model loader then reads as usual).

use crate::error::{config, decode, err};
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::Device;
use exllm::{ErrorKind, Result};
use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::Path;

/// The model families this crate runs, as GGUF's `general.architecture` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Arch {
    /// `llama`: Llama, SmolLM2, Mistral-style models (candle's `quantized_llama`).
    Llama,
    /// `qwen2`: Qwen2 and Qwen2.5 (candle's `quantized_qwen2`).
    Qwen2,
    /// `qwen3` (candle's `quantized_qwen3`).
    Qwen3,
}

impl Arch {
    /// Every supported GGUF architecture name.
    pub const SUPPORTED: &'static [&'static str] = &["llama", "qwen2", "qwen3"];

    fn from_gguf(name: &str) -> Option<Arch> {
        match name {
            "llama" => Some(Arch::Llama),
            "qwen2" => Some(Arch::Qwen2),
            "qwen3" => Some(Arch::Qwen3),
            _ => None,
        }
    }
}

/// A GGUF file whose header has been read and checked.
pub struct Gguf {
    /// Metadata and tensor directory.
    pub content: gguf_file::Content,
    /// The architecture.
    pub arch: Arch,
    /// The open file.
    pub reader: BufReader<File>,
}

/// Opens and checks a GGUF file: header, tensor extents against the file size, architecture.
pub fn open(path: &Path) -> Result<Gguf> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => err(
            ErrorKind::Config,
            format!("model file not found: {}", path.display()),
        )
        .with_code("not_found"),
        _ => config(&format!("cannot open model file {}", path.display()), e),
    })?;
    let file_size = file
        .metadata()
        .map_err(|e| config("cannot stat model file", e))?
        .len();
    let mut reader = BufReader::new(file);
    let content = gguf_file::Content::read(&mut reader)
        .map_err(|e| decode(&format!("{} is not a valid GGUF file", path.display()), e))?;
    check_extents(&content, file_size, path)?;
    let arch_name = content
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .ok_or_else(|| {
            err(
                ErrorKind::Decode,
                format!(
                    "{}: no general.architecture in the GGUF metadata",
                    path.display()
                ),
            )
        })?;
    let arch = Arch::from_gguf(&arch_name).ok_or_else(|| {
        err(
            ErrorKind::InvalidInput,
            format!(
                "unsupported model architecture `{arch_name}` in {} (supported: {})",
                path.display(),
                Arch::SUPPORTED.join(", ")
            ),
        )
        .with_code("unsupported_architecture")
    })?;
    Ok(Gguf {
        content,
        arch,
        reader,
    })
}

/// Every tensor must lie inside the file: a truncated download fails here, clearly, rather
/// than deep inside the loader.
fn check_extents(content: &gguf_file::Content, file_size: u64, path: &Path) -> Result<()> {
    let mut end = content.tensor_data_offset;
    for (name, info) in &content.tensor_infos {
        let elems = info.shape.elem_count();
        let block = info.ggml_dtype.block_size();
        if block == 0 || elems % block != 0 {
            return Err(err(
                ErrorKind::Decode,
                format!("{}: tensor {name} has a bad shape", path.display()),
            ));
        }
        let bytes = (elems / block) as u64 * info.ggml_dtype.type_size() as u64;
        let tensor_end = content
            .tensor_data_offset
            .checked_add(info.offset)
            .and_then(|s| s.checked_add(bytes))
            .ok_or_else(|| {
                err(
                    ErrorKind::Decode,
                    format!("{}: tensor {name} has a bad offset", path.display()),
                )
            })?;
        end = end.max(tensor_end);
    }
    if end > file_size {
        return Err(err(
            ErrorKind::Decode,
            format!(
                "{} is truncated: its tensors need {end} bytes but the file has {file_size} (delete it to fetch it again)",
                path.display()
            ),
        )
        .with_code("truncated"));
    }
    Ok(())
}

/// Whether candle lacks fast CPU kernels for this type, so it is worth re-encoding to Q8_0.
fn slow_on_cpu(dtype: GgmlDType) -> bool {
    matches!(
        dtype,
        GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1 | GgmlDType::Q8_1
    )
}

/// How many tensors of the file would be re-encoded.
pub fn slow_tensor_count(content: &gguf_file::Content) -> usize {
    content
        .tensor_infos
        .values()
        .filter(|t| slow_on_cpu(t.ggml_dtype))
        .count()
}

/// The first layer's quantized matrices are kept in F32 when that takes at most this many
/// bytes (a few megabytes for small models; large models skip it).
pub const FIRST_LAYER_F32_LIMIT: u64 = 64 << 20;

fn first_layer(name: &str) -> bool {
    name.starts_with("blk.0.")
}

fn quantized(dtype: GgmlDType) -> bool {
    !matches!(dtype, GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16)
}

/// Bytes the first layer's quantized matrices take in F32.
pub fn first_layer_f32_size(content: &gguf_file::Content) -> u64 {
    content
        .tensor_infos
        .iter()
        .filter(|(n, t)| first_layer(n) && quantized(t.ggml_dtype))
        .map(|(_, t)| t.shape.elem_count() as u64 * 4)
        .sum()
}

/// The weights generation runs on: a tensor directory with the converted types, a reader that
/// converts each tensor when the model loader reads it, and how many tensors are converted; or
/// `None` when the file is used as it is. With `reencode`, Q4_1 / Q5_x tensors become Q8_0:
/// Q8_0 keeps more precision than the source and generation gets several times faster on CPU.
/// With `exact_first_layer`, the first layer's quantized matrices become F32: candle quantizes
/// a quantized matmul's activations to 8 bits, and the first layer's normed embeddings are
/// where that rounding flips near-tied tokens (greedy "What is the capital of France?" starts
/// "L'Étoile..." instead of "The capital of France is Paris." on SmolLM2-135M; any later layer
/// in F32 leaves it flipped, the first layer's q/k or gate/up projections alone fix it).
/// Converting on read keeps one tensor in flight instead of a second copy of the model.
pub fn fast_weights(
    g: &mut Gguf,
    reencode: bool,
    exact_first_layer: bool,
) -> Result<Option<(gguf_file::Content, Converting<'_>, usize)>> {
    let target = |name: &str, dtype: GgmlDType, cols: usize| {
        if exact_first_layer && first_layer(name) && quantized(dtype) {
            Some(GgmlDType::F32)
        } else {
            (reencode && slow_on_cpu(dtype) && cols.is_multiple_of(GgmlDType::Q8_0.block_size()))
                .then_some(GgmlDType::Q8_0)
        }
    };
    let mut names: Vec<&String> = g.content.tensor_infos.keys().collect();
    names.sort();
    let mut infos = std::collections::HashMap::new();
    let mut items = Vec::with_capacity(names.len());
    let mut converted = 0;
    let mut offset = 0u64;
    for name in names {
        let info = &g.content.tensor_infos[name];
        let cols = info.shape.dims().last().copied().unwrap_or(0);
        let to = target(name, info.ggml_dtype, cols);
        converted += usize::from(to.is_some());
        let dtype = to.unwrap_or(info.ggml_dtype);
        let len = (info.shape.elem_count() / dtype.block_size() * dtype.type_size()) as u64;
        infos.insert(
            name.clone(),
            gguf_file::TensorInfo {
                ggml_dtype: dtype,
                shape: info.shape.clone(),
                offset,
            },
        );
        items.push((offset, len, name.clone(), to));
        offset += len;
    }
    if converted == 0 {
        return Ok(None);
    }
    let content = gguf_file::Content {
        magic: g.content.magic,
        metadata: g.content.metadata.clone(),
        tensor_infos: infos,
        tensor_data_offset: 0,
    };
    let reader = Converting {
        source: &g.content,
        reader: &mut g.reader,
        items,
        total: offset,
        pos: 0,
        current: None,
    };
    Ok(Some((content, reader, converted)))
}

/// The tensor data of the converted model, made one tensor at a time as it is read.
pub struct Converting<'a> {
    source: &'a gguf_file::Content,
    reader: &'a mut BufReader<File>,
    /// (offset, length, name, new type) by offset.
    items: Vec<(u64, u64, String, Option<GgmlDType>)>,
    total: u64,
    pos: u64,
    current: Option<(usize, Vec<u8>)>,
}

impl Converting<'_> {
    fn bytes_of(&mut self, i: usize) -> candle_core::Result<Vec<u8>> {
        let (_, _, name, to) = &self.items[i];
        let q = self.source.tensor(self.reader, name, &Device::Cpu)?;
        let q = match to {
            Some(to) => QTensor::quantize(&q.dequantize(&Device::Cpu)?, *to)?,
            None => q,
        };
        Ok(q.data()?.into_owned())
    }
}

impl std::io::Read for Converting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(i) = self
            .items
            .iter()
            .position(|(o, l, _, _)| self.pos >= *o && self.pos < o + l)
        else {
            return Ok(0);
        };
        if self.current.as_ref().map(|(c, _)| *c) != Some(i) {
            self.current = None;
            let bytes = self.bytes_of(i).map_err(std::io::Error::other)?;
            if bytes.len() as u64 != self.items[i].1 {
                return Err(std::io::Error::other(format!(
                    "tensor {} converted to {} bytes, expected {}",
                    self.items[i].2,
                    bytes.len(),
                    self.items[i].1
                )));
            }
            self.current = Some((i, bytes));
        }
        let Some((_, bytes)) = &self.current else {
            return Ok(0);
        };
        let from = (self.pos - self.items[i].0) as usize;
        let n = buf.len().min(bytes.len() - from);
        buf[..n].copy_from_slice(&bytes[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Converting<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            std::io::SeekFrom::Start(p) => Some(p),
            std::io::SeekFrom::End(d) => self.total.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| std::io::Error::other("seek out of range"))?;
        Ok(self.pos)
    }
}

/// The whole model with every weight dequantized to F32, as an in-memory GGUF: candle then
/// multiplies in full precision instead of quantizing activations to 8 bits.
pub fn dequantize_f32(g: &mut Gguf) -> Result<(gguf_file::Content, Cursor<Vec<u8>>)> {
    rewrite(g, |_, dtype, _| {
        (dtype != GgmlDType::F32).then_some(GgmlDType::F32)
    })
}

/// Bytes the model takes with every weight in F32.
pub fn f32_size(content: &gguf_file::Content) -> u64 {
    content
        .tensor_infos
        .values()
        .map(|t| t.shape.elem_count() as u64 * 4)
        .sum()
}

/// Copies the GGUF into memory, converting each tensor for which `target(name, dtype, last_dim)`
/// names a new type.
fn rewrite(
    g: &mut Gguf,
    target: impl Fn(&str, GgmlDType, usize) -> Option<GgmlDType>,
) -> Result<(gguf_file::Content, Cursor<Vec<u8>>)> {
    let mut names: Vec<&String> = g.content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(names.len());
    for name in names {
        let q = g
            .content
            .tensor(&mut g.reader, name, &Device::Cpu)
            .map_err(|e| decode(&format!("cannot read tensor {name}"), e))?;
        let cols = q.shape().dims().last().copied().unwrap_or(0);
        let q = match target(name, q.dtype(), cols) {
            Some(to) => {
                let f = q
                    .dequantize(&Device::Cpu)
                    .map_err(|e| decode(&format!("cannot dequantize {name}"), e))?;
                QTensor::quantize(&f, to)
                    .map_err(|e| decode(&format!("cannot re-encode {name}"), e))?
            }
            None => q,
        };
        tensors.push((name.clone(), q));
    }
    let mut metadata: Vec<(&str, &gguf_file::Value)> = g
        .content
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    metadata.sort_by(|a, b| a.0.cmp(b.0));
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut buf = Cursor::new(Vec::new());
    gguf_file::write(&mut buf, &metadata, &refs)
        .map_err(|e| decode("cannot write the re-encoded model", e))?;
    drop(tensors);
    read_memory(buf)
}

fn read_memory(mut buf: Cursor<Vec<u8>>) -> Result<(gguf_file::Content, Cursor<Vec<u8>>)> {
    buf.set_position(0);
    let content = gguf_file::Content::read(&mut buf)
        .map_err(|e| decode("cannot read the re-encoded model", e))?;
    Ok((content, buf))
}
