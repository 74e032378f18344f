//! `exllm speak`: text to an audio file, described as a line or as the kit's
//! `{"bytes", "sha256", "path"}`. The format follows `--format`, else the file's extension.

use crate::output;
use crate::service::{sha256_hex, ServiceArgs};
use clap::Args;
use exllm::provider::Task;
use exllm::{AudioFormat, SpeechRequest};
use serde_json::json;
use std::path::PathBuf;

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
            client.speak(req).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let speech = match result {
        Ok(s) => s,
        Err(e) => return output::report(&e, json),
    };
    // The transport's buffer is written as it is, with no copy.
    if let Err(e) = std::fs::write(&args.out, &speech.audio) {
        let e = exllm::Error::new(
            exllm::ErrorKind::InvalidInput,
            format!("cannot write {}: {e}", args.out.display()),
        );
        return output::report(&e, json);
    }
    let path = args.out.display().to_string();
    if json {
        output::emit(json!({
            "bytes": speech.audio.len(),
            "sha256": sha256_hex(&speech.audio),
            "path": path,
            "content_type": speech.content_type,
            "cost_usd": speech.cost_usd,
        }));
    } else {
        let kind = speech.content_type.as_deref().unwrap_or("audio");
        output::emit(format!(
            "saved {path} ({} bytes, {kind})",
            speech.audio.len()
        ));
    }
    0
}
