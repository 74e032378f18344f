//! `multipart/form-data` bodies (RFC 7578) built as bytes, for file uploads. The boundary is
//! random and checked against the content, so no part can end the body early.

use bytes::Bytes;

/// A form being written.
#[derive(Debug)]
pub(crate) struct Form {
    boundary: String,
    body: Vec<u8>,
}

/// A random boundary that occurs in none of `contents`.
pub(crate) fn boundary(contents: &[&[u8]]) -> String {
    loop {
        let tail: String = std::iter::repeat_with(fastrand::alphanumeric)
            .take(24)
            .collect();
        let b = format!("exllm-{tail}");
        if !contents
            .iter()
            .any(|c| memchr::memmem::find(c, b.as_bytes()).is_some())
        {
            return b;
        }
    }
}

/// A name or file name inside a quoted header parameter: quotes and line breaks
/// percent-encoded, as browsers do, so they cannot break the part's header.
fn quoted(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

impl Form {
    /// An empty form with `boundary` (see [`boundary`]); `capacity` is the expected size.
    pub(crate) fn new(boundary: String, capacity: usize) -> Self {
        Form {
            boundary,
            body: Vec::with_capacity(capacity + 512),
        }
    }

    fn head(&mut self, name: &str) {
        self.body.extend_from_slice(b"--");
        self.body.extend_from_slice(self.boundary.as_bytes());
        self.body
            .extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        self.body.extend_from_slice(quoted(name).as_bytes());
        self.body.push(b'"');
    }

    /// Adds a text field.
    pub(crate) fn text(&mut self, name: &str, value: &str) {
        self.head(name);
        self.body.extend_from_slice(b"\r\n\r\n");
        self.body.extend_from_slice(value.as_bytes());
        self.body.extend_from_slice(b"\r\n");
    }

    /// Adds a file field.
    pub(crate) fn file(&mut self, name: &str, filename: &str, content_type: &str, data: &[u8]) {
        self.file_head(name, filename, content_type);
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\r\n");
    }

    /// Starts a file field whose content follows the form's bytes (see [`Form::streamed`]).
    pub(crate) fn file_head(&mut self, name: &str, filename: &str, content_type: &str) {
        self.head(name);
        self.body.extend_from_slice(b"; filename=\"");
        self.body.extend_from_slice(quoted(filename).as_bytes());
        self.body.extend_from_slice(b"\"\r\nContent-Type: ");
        self.body.extend_from_slice(content_type.as_bytes());
        self.body.extend_from_slice(b"\r\n\r\n");
    }

    /// Closes a form whose last field was opened with [`Form::file_head`], for a file streamed
    /// between the two: its `Content-Type` header value, the bytes before the file and the
    /// bytes after it.
    pub(crate) fn streamed(self) -> (String, Bytes, Bytes) {
        let tail = format!("\r\n--{}--\r\n", self.boundary);
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            Bytes::from(self.body),
            Bytes::from(tail),
        )
    }

    /// Closes the form: its `Content-Type` header value and body.
    pub(crate) fn finish(mut self) -> (String, Bytes) {
        self.body.extend_from_slice(b"--");
        self.body.extend_from_slice(self.boundary.as_bytes());
        self.body.extend_from_slice(b"--\r\n");
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            Bytes::from(self.body),
        )
    }
}
