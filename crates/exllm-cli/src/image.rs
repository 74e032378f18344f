//! `exllm image`: images from a prompt, saved with `-o` and described as lines or as the
//! kit's `{"images": [{url, sha256, bytes, revised_prompt}], "usage"}`.

use crate::output;
use crate::service::{sha256_hex, ServiceArgs};
use clap::Args;
use exllm::provider::Task;
use exllm::{ImageOutput, ImageRequest};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ImageArgs {
    /// What to draw.
    #[arg(required = true)]
    prompt: Vec<String>,
    /// Save the image here (several images: NAME-1.png, NAME-2.png, ...).
    #[arg(short, long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// How many images.
    #[arg(short)]
    n: Option<u32>,
    /// Size, as the provider spells it (1024x1024).
    #[arg(long)]
    size: Option<String>,
    /// Quality, as the provider spells it (standard, hd, high, ...).
    #[arg(long)]
    quality: Option<String>,
    /// Ask for the bytes inline rather than a link (models that offer both).
    #[arg(long)]
    inline: bool,
    #[command(flatten)]
    service: ServiceArgs,
}

/// Where image `i` of `count` goes when saving to `out`.
fn path_for(out: &Path, i: usize, count: usize) -> PathBuf {
    if count <= 1 {
        return out.to_owned();
    }
    let stem = out
        .file_stem()
        .map_or("image".into(), |s| s.to_string_lossy());
    let name = match out.extension() {
        Some(ext) => format!("{stem}-{}.{}", i + 1, ext.to_string_lossy()),
        None => format!("{stem}-{}", i + 1),
    };
    out.with_file_name(name)
}

pub async fn run(args: ImageArgs) -> u8 {
    let json = args.service.json;
    let mut req = ImageRequest::new(args.service.model.clone(), args.prompt.join(" "));
    req.n = args.n;
    req.size = args.size.clone();
    req.quality = args.quality.clone();
    req.output = args.inline.then_some(ImageOutput::Base64);
    let result = match args.service.client(Task::Image) {
        Ok(client) => client.generate_image(req).await,
        Err(e) => Err(e),
    };
    let resp = match result {
        Ok(r) => r,
        Err(e) => return output::report(&e, json),
    };
    let count = resp.images.len();
    let mut saved = Vec::with_capacity(count);
    for (i, image) in resp.images.iter().enumerate() {
        let (Some(out), Some(data)) = (&args.out, &image.data) else {
            saved.push(None);
            continue;
        };
        let path = path_for(out, i, count);
        if let Err(e) = std::fs::write(&path, data) {
            let e = exllm::Error::new(
                exllm::ErrorKind::InvalidInput,
                format!("cannot write {}: {e}", path.display()),
            );
            return output::report(&e, json);
        }
        saved.push(Some(path));
    }
    if json {
        let images: Vec<Value> = resp
            .images
            .iter()
            .zip(&saved)
            .map(|(img, path)| {
                let mut v = json!({
                    "url": img.url,
                    "sha256": img.data.as_deref().map(sha256_hex),
                    "bytes": img.data.as_ref().map(|d| d.len()),
                    "revised_prompt": img.revised_prompt,
                    "media_type": img.media_type,
                });
                if let Some(p) = path {
                    v["path"] = p.display().to_string().into();
                }
                v
            })
            .collect();
        let usage = resp
            .usage
            .as_ref()
            .map(|u| json!({"input_tokens": u.input_tokens, "output_tokens": u.output_tokens}));
        output::emit(json!({"images": images, "usage": usage, "cost_usd": resp.cost_usd}));
        return 0;
    }
    for (img, path) in resp.images.iter().zip(&saved) {
        let kind = img.media_type.as_deref().unwrap_or("image");
        match (path, &img.data, &img.url) {
            (Some(p), Some(d), _) => {
                output::emit(format!("saved {} ({} bytes, {kind})", p.display(), d.len()))
            }
            (None, Some(d), _) => output::emit(format!(
                "{} bytes ({kind}); pass -o FILE to save it",
                d.len()
            )),
            (_, None, Some(url)) => output::emit(url),
            _ => output::emit("(the provider sent neither a link nor bytes)"),
        }
        if let Some(p) = &img.revised_prompt {
            output::emit(format!("  revised prompt: {p}"));
        }
    }
    0
}
