//! `exllm transcribe`: an audio file to text (or, with `--translate`, to English), printed
//! as text or as the kit's `{"text", "language", "duration", "segments", "words"}`.

use crate::output;
use crate::service::ServiceArgs;
use clap::Args;
use exllm::provider::Task;
use exllm::{TimestampGranularity, TranscriptFormat, TranscriptionRequest};
use serde_json::json;
use std::path::PathBuf;

#[derive(Args)]
pub struct TranscribeArgs {
    /// The audio file.
    file: PathBuf,
    /// Translate into English instead of transcribing.
    #[arg(long)]
    translate: bool,
    /// The spoken language (ISO 639-1), when known.
    #[arg(long)]
    language: Option<String>,
    /// Text that guides the model (names, spellings).
    #[arg(long)]
    prompt: Option<String>,
    /// Answer format: json, verbose_json, text, srt or vtt.
    #[arg(long)]
    format: Option<String>,
    /// Word timings (asks for verbose_json).
    #[arg(long)]
    words: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

fn format(name: &str) -> Result<TranscriptFormat, exllm::Error> {
    Ok(match name {
        "json" => TranscriptFormat::Json,
        "verbose_json" | "verbose-json" => TranscriptFormat::VerboseJson,
        "text" => TranscriptFormat::Text,
        "srt" => TranscriptFormat::Srt,
        "vtt" => TranscriptFormat::Vtt,
        other => {
            return Err(exllm::Error::new(
                exllm::ErrorKind::InvalidInput,
                format!("unknown format `{other}` (json, verbose_json, text, srt, vtt)"),
            ))
        }
    })
}

fn request(args: &TranscribeArgs) -> Result<TranscriptionRequest, exllm::Error> {
    let audio = std::fs::read(&args.file).map_err(|e| {
        exllm::Error::new(
            exllm::ErrorKind::InvalidInput,
            format!("cannot read {}: {e}", args.file.display()),
        )
    })?;
    let filename = args
        .file
        .file_name()
        .map_or("audio".into(), |n| n.to_string_lossy().into_owned());
    let mut req = TranscriptionRequest::new(args.service.model.clone(), filename, audio);
    req.translate = args.translate;
    req.language = args.language.clone();
    req.prompt = args.prompt.clone();
    req.response_format = args.format.as_deref().map(format).transpose()?;
    if args.words {
        req.response_format = Some(TranscriptFormat::VerboseJson);
        req.timestamp_granularities =
            vec![TimestampGranularity::Word, TimestampGranularity::Segment];
    }
    Ok(req)
}

pub async fn run(args: TranscribeArgs) -> u8 {
    let json = args.service.json;
    let result = match (request(&args), args.service.client(Task::Transcribe)) {
        (Ok(req), Ok(client)) => client.transcribe(req).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let t = match result {
        Ok(t) => t,
        Err(e) => return output::report(&e, json),
    };
    for w in &t.warnings {
        eprintln!("exllm: warning: {}", w.message);
    }
    if json {
        output::emit(json!({
            "text": t.text,
            "language": t.language,
            "duration": t.duration,
            "segments": t.segments.len(),
            "words": t.words.len(),
            "cost_usd": t.cost_usd,
        }));
        return 0;
    }
    if args.words && !t.words.is_empty() {
        let rows: Vec<Vec<String>> = t
            .words
            .iter()
            .map(|w| {
                vec![
                    format!("{:.2}", w.start),
                    format!("{:.2}", w.end),
                    w.word.clone(),
                ]
            })
            .collect();
        output::table(&["START", "END", "WORD"], &rows);
    } else {
        output::emit(t.text.trim_end());
    }
    0
}
