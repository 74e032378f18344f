//! Media around `exllm chat`: audio sent with the prompt (`--audio-in`), a spoken answer
//! asked for (`--voice`, `--audio-format`) and saved (`--audio-out`), and the images a model
//! draws (Gemini) saved with `--image-out`; their digests joined to `--json`'s object as
//! `images` and `audio`.

use crate::service::sha256_hex;
use clap::Args;
use exllm::{
    AudioOutput, AudioPart, ChatRequest, ChatResponse, Error, ErrorKind, MediaSource, Part,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The media options of `exllm chat`.
#[derive(Args, Default, Clone)]
pub struct MediaArgs {
    /// An audio file sent with the prompt (`wav`, `mp3`; OpenAI audio models). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) audio_in: Vec<PathBuf>,
    /// Ask for a spoken answer in this voice (`alloy`, `ash`, `coral`, `verse`, ...).
    #[arg(long, value_name = "VOICE")]
    pub(crate) voice: Option<String>,
    /// The spoken answer's format: wav, mp3, flac, opus or pcm16 (default wav; pcm16 when
    /// streaming, the only one streams take; saved with a WAV header to a .wav file).
    #[arg(long, value_name = "FORMAT")]
    pub(crate) audio_format: Option<String>,
    /// Write the spoken answer to FILE (asks for one in the voice alloy unless --voice).
    #[arg(long, value_name = "FILE")]
    pub(crate) audio_out: Option<PathBuf>,
    /// Write the images of the answer to FILE (the second to FILE-2, ...).
    #[arg(long, value_name = "FILE")]
    pub(crate) image_out: Option<PathBuf>,
}

impl MediaArgs {
    /// Adds the audio inputs to the last message and the spoken answer asked for.
    pub fn apply(&self, req: &mut ChatRequest, stream: bool) -> Result<(), Error> {
        for path in &self.audio_in {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            let format = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_else(|| "wav".into());
            if let Some(m) = req.messages.last_mut() {
                m.content
                    .push(Part::Audio(AudioPart::from_bytes(&bytes, format)));
            }
        }
        if self.voice.is_some() || self.audio_out.is_some() || self.audio_format.is_some() {
            let default = if stream { "pcm16" } else { "wav" };
            req.audio = Some(AudioOutput {
                voice: self.voice.clone().unwrap_or_else(|| "alloy".into()),
                format: self.audio_format.clone().unwrap_or_else(|| default.into()),
            });
        }
        Ok(())
    }

    /// Writes the answer's audio and images where asked, returning their descriptions for
    /// `--json` (`images`, `audio`) and telling stderr what was written or could be.
    pub fn save(&self, resp: &ChatResponse, req_format: Option<&str>) -> Result<Value, Error> {
        let mut out = json!({});
        let mut images = Vec::new();
        for part in &resp.content {
            match part {
                Part::Image {
                    source, media_type, ..
                } => {
                    let n = images.len() + 1;
                    let path = self.image_out.as_deref().map(|p| numbered(p, n));
                    images.push(media_json(source, media_type.as_deref(), path.as_deref())?);
                }
                Part::Audio(a) if !a.data.is_empty() || a.transcript.is_some() => {
                    let format = a.format.as_deref().or(req_format);
                    out["audio"] = audio_json(a, format, self.audio_out.as_deref())?;
                }
                _ => {}
            }
        }
        if !images.is_empty() {
            out["images"] = Value::Array(images);
        }
        Ok(out)
    }
}

/// `FILE` for the first image, `FILE-n.ext` for the n-th.
fn numbered(path: &Path, n: usize) -> PathBuf {
    if n == 1 {
        return path.to_owned();
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = match (stem, path.extension()) {
        (Some(s), Some(e)) => format!("{s}-{n}.{}", e.to_string_lossy()),
        (Some(s), None) => format!("{s}-{n}"),
        _ => format!("image-{n}"),
    };
    path.with_file_name(name)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

fn decode(data: &str, what: &str) -> Result<Vec<u8>, Error> {
    exllm::media::decode_base64(data)
        .ok_or_else(|| Error::new(ErrorKind::Decode, format!("the {what} is not base64")))
}

/// An image of the answer: inline bytes (digest, size, written to `path`) or a reference.
fn media_json(
    source: &MediaSource,
    media_type: Option<&str>,
    path: Option<&Path>,
) -> Result<Value, Error> {
    let mut v = json!({"media_type": media_type, "url": null, "bytes": null, "sha256": null});
    match source {
        MediaSource::Base64(data) => {
            let bytes = decode(data, "image")?;
            v["bytes"] = bytes.len().into();
            v["sha256"] = sha256_hex(&bytes).into();
            match path {
                Some(p) => {
                    write(p, &bytes)?;
                    v["path"] = p.display().to_string().into();
                    eprintln!("exllm: image written to {}", p.display());
                }
                None => eprintln!(
                    "exllm: the answer has an image ({} bytes, {}); --image-out FILE saves it",
                    bytes.len(),
                    media_type.unwrap_or("unknown type")
                ),
            }
        }
        MediaSource::Url(u) | MediaSource::FileId(u) => v["url"] = u.as_str().into(),
        _ => {}
    }
    Ok(v)
}

/// The spoken answer: its id, transcript and digest, written to `path` (raw PCM wrapped in
/// a WAV header when the file is a `.wav`).
fn audio_json(a: &AudioPart, format: Option<&str>, path: Option<&Path>) -> Result<Value, Error> {
    let bytes = if a.data.is_empty() {
        Vec::new()
    } else {
        decode(&a.data, "audio")?
    };
    let mut v = json!({
        "id": a.id, "transcript": a.transcript, "expires_at": a.expires_at, "format": format,
        "bytes": bytes.len(), "sha256": sha256_hex(&bytes),
    });
    if let Some(p) = path {
        let is_wav = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav"));
        let file = match format {
            Some("pcm16") if is_wav => wav(&bytes, 24_000),
            _ => bytes,
        };
        write(p, &file)?;
        v["path"] = p.display().to_string().into();
        eprintln!("exllm: audio written to {}", p.display());
    } else if !a.data.is_empty() {
        eprintln!("exllm: the answer has audio; --audio-out FILE saves it");
    }
    Ok(v)
}

/// 16-bit mono PCM at `rate` Hz in a WAV container.
fn wav(pcm: &[u8], rate: u32) -> Vec<u8> {
    let len = pcm.len() as u32;
    let mut out = Vec::with_capacity(44 + pcm.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(pcm);
    out
}

/// The transcript of a spoken answer, for the plain output (its text is empty).
pub fn transcript(resp: &ChatResponse) -> Option<&str> {
    resp.content.iter().find_map(|p| match p {
        Part::Audio(a) => a.transcript.as_deref(),
        _ => None,
    })
}
