//! OpenAI's media endpoints — image generation, audio transcription and translation, speech
//! and moderation — as pure codecs: canonical request in, HTTP request out; body bytes in,
//! canonical answer out. Many hosts copy these paths (Together and Nebius images, Groq and
//! Mistral transcriptions), so they hang off the OpenAI-compatible chat codec the way
//! embeddings do, and a registry row is all a host needs.

pub(crate) mod images;
pub(crate) mod moderation;
pub(crate) mod multipart;
pub(crate) mod speech;
pub(crate) mod transcribe;

#[cfg(test)]
mod tests;
