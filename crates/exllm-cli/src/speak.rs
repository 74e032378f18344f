//! `exllm speak`: text to an audio file, written as it downloads and described as a line or
//! as the kit's `{"bytes", "sha256", "path"}`. The format follows `--format`, else the file's
//! extension.

use crate::output;
use crate::service::{hex, ServiceArgs};
use clap::Args;
use exllm::client::SpeechStream;
use exllm::provider::Task;
use exllm::{AudioFormat, Error, ErrorKind, SpeechRequest};
use futures_util::StreamExt;
use serde_json::json;
use sha2::Digest;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct SpeakArgs {
    /// The text to speak.
    #[arg(required = true)]
    text: Vec<String>,
    /// The voice (alloy, echo, nova, ...).
    #[arg(long, default_value = "alloy")]
    voice: String,
    /// Where to write the audio.
    #[arg(short, long, value_name = "FILE")]
    out: PathBuf,
    /// Audio format: mp3, opus, aac, flac, wav or pcm (default: from the file's extension).
    #[arg(long)]
    format: Option<String>,
    /// Speaking speed (1.0 is normal).
    #[arg(long)]
    speed: Option<f32>,
    /// How to speak (tone, accent), for models that take instructions.
    #[arg(long)]
    instructions: Option<String>,
    #[command(flatten)]
    service: ServiceArgs,
}

fn audio_format(args: &SpeakArgs) -> Result<Option<AudioFormat>, exllm::Error> {
    match &args.format {
        Some(f) => AudioFormat::ALL
            .into_iter()
            .find(|a| a.as_str() == f)
            .map(Some)
            .ok_or_else(|| {
                exllm::Error::new(
                    exllm::ErrorKind::InvalidInput,
                    format!("unknown audio format `{f}` (mp3, opus, aac, flac, wav, pcm)"),
                )
            }),
        None => Ok(AudioFormat::from_path(&args.out.to_string_lossy())),
    }
}

pub async fn run(args: SpeakArgs) -> u8 {
    let json = args.service.json;
    let mut req = SpeechRequest::new(
        args.service.model.clone(),
        args.text.join(" "),
        args.voice.clone(),
    );
    req.speed = args.speed;
    req.instructions = args.instructions.clone();
    let result = match (audio_format(&args), args.service.client(Task::Speech)) {
        (Ok(format), Ok(client)) => {
            req.format = format;
            client.speak_stream(req).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let mut speech = match result {
        Ok(s) => s,
        Err(e) => return output::report(&e, json),
    };
    let (bytes, sha256) = match save(&mut speech, &args.out).await {
        Ok(x) => x,
        Err(e) => return output::report(&e, json),
    };
    let path = args.out.display().to_string();
    if json {
        output::emit(json!({
            "bytes": bytes,
            "sha256": sha256,
            "path": path,
            "content_type": speech.content_type,
            "cost_usd": speech.cost_usd,
        }));
    } else {
        let kind = speech.content_type.as_deref().unwrap_or("audio");
        output::emit(format!("saved {path} ({bytes} bytes, {kind})"));
    }
    0
}

/// Writes the audio to `out` chunk by chunk as it arrives, hashing it on the way: its size
/// and SHA-256. A failed download leaves no partial file behind.
async fn save(speech: &mut SpeechStream, out: &Path) -> Result<(u64, String), Error> {
    let cannot = |e: std::io::Error| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cannot write {}: {e}", out.display()),
        )
    };
    let mut file = std::fs::File::create(out).map_err(cannot)?;
    let mut hash = sha2::Sha256::new();
    let mut bytes = 0u64;
    while let Some(chunk) = speech.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                drop(file);
                let _ = std::fs::remove_file(out);
                return Err(e);
            }
        };
        file.write_all(&chunk).map_err(cannot)?;
        hash.update(&chunk);
        bytes += chunk.len() as u64;
    }
    file.flush().map_err(cannot)?;
    if bytes == 0 {
        let _ = std::fs::remove_file(out);
        return Err(Error::new(
            ErrorKind::Decode,
            "the speech endpoint sent no audio",
        ));
    }
    Ok((bytes, hex(&hash.finalize())))
}
