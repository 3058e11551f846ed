//! Undoing `Content-Encoding` as a streaming `Read` adapter (gzip, deflate, br, zstd), so
//! bodies are decoded for the user while the headers are shown exactly as received.

use std::io::{self, BufReader, Read};

/// Wrap `raw` so that it yields the decoded content. Unknown codings pass through untouched
/// (the caller shows the bytes rather than failing). Codings apply in the order listed, so
/// they are undone in reverse.
pub fn decoder<'a>(
    raw: Box<dyn Read + Send + 'a>,
    content_encoding: Option<&str>,
) -> Box<dyn Read + Send + 'a> {
    match content_encoding {
        None => raw,
        // An empty body (HEAD, 204) with a Content-Encoding is not a corrupt stream.
        Some(ce) => Box::new(Lazy {
            raw: Some(raw),
            coding: ce.to_string(),
            inner: None,
        }),
    }
}

/// Builds the decoder chain on the first read, once it is known that there is a body.
struct Lazy<'a> {
    raw: Option<Box<dyn Read + Send + 'a>>,
    coding: String,
    inner: Option<Box<dyn Read + Send + 'a>>,
}

impl Read for Lazy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(mut raw) = self.raw.take() {
            let mut first = [0u8; 1];
            if read_up_to(&mut raw, &mut first)? == 0 {
                return Ok(0);
            }
            let whole: Box<dyn Read + Send + '_> = Box::new(io::Cursor::new(first).chain(raw));
            self.inner = Some(chain(whole, &self.coding));
        }
        match &mut self.inner {
            Some(r) => r.read(buf),
            None => Ok(0),
        }
    }
}

fn chain<'a>(raw: Box<dyn Read + Send + 'a>, ce: &str) -> Box<dyn Read + Send + 'a> {
    let mut reader = raw;
    for coding in ce.split(',').rev().map(|c| c.trim().to_ascii_lowercase()) {
        reader = match coding.as_str() {
            "gzip" | "x-gzip" => {
                Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(reader)))
            }
            "deflate" => Box::new(Deflate::new(reader)),
            "br" => Box::new(brotli::Decompressor::new(reader, 64 * 1024)),
            "zstd" => match zstd::stream::read::Decoder::new(reader) {
                Ok(d) => Box::new(d),
                Err(e) => Box::new(Failing(Some(e))),
            },
            _ => reader,
        };
    }
    reader
}

/// A reader that fails once with a stored error.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("decoder failed")))
    }
}

/// "deflate" is zlib-wrapped by the spec, but some servers send raw deflate: look at the
/// first byte and pick.
struct Deflate<'a> {
    state: DeflateState<'a>,
}

/// The body with its first bytes put back in front.
type Replayed<'a> = io::Chain<io::Cursor<Vec<u8>>, Box<dyn Read + Send + 'a>>;

enum DeflateState<'a> {
    Undecided(Option<Box<dyn Read + Send + 'a>>),
    Zlib(flate2::read::ZlibDecoder<Replayed<'a>>),
    Raw(flate2::read::DeflateDecoder<Replayed<'a>>),
}

impl<'a> Deflate<'a> {
    fn new(inner: Box<dyn Read + Send + 'a>) -> Self {
        Deflate {
            state: DeflateState::Undecided(Some(inner)),
        }
    }
}

impl Read for Deflate<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let DeflateState::Undecided(inner) = &mut self.state {
            let Some(mut inner) = inner.take() else {
                return Ok(0);
            };
            let mut first = [0u8; 2];
            let n = read_up_to(&mut inner, &mut first)?;
            if n == 0 {
                return Ok(0);
            }
            // A zlib header: CM=8 in the low nibble and a header checksum divisible by 31.
            let zlib = n == 2
                && first[0] & 0x0f == 8
                && (u16::from(first[0]) << 8 | u16::from(first[1])) % 31 == 0;
            let chained = io::Cursor::new(first[..n].to_vec()).chain(inner);
            self.state = if zlib {
                DeflateState::Zlib(flate2::read::ZlibDecoder::new(chained))
            } else {
                DeflateState::Raw(flate2::read::DeflateDecoder::new(chained))
            };
        }
        match &mut self.state {
            DeflateState::Zlib(d) => d.read(buf),
            DeflateState::Raw(d) => d.read(buf),
            DeflateState::Undecided(_) => Ok(0),
        }
    }
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn decode(bytes: Vec<u8>, ce: &str) -> Vec<u8> {
        let mut out = Vec::new();
        decoder(Box::new(io::Cursor::new(bytes)), Some(ce))
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn each_coding_round_trips() {
        let text = b"hello hello hello hello".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&text).unwrap();
        assert_eq!(decode(gz.finish().unwrap(), "gzip"), text);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&text).unwrap();
        assert_eq!(decode(z.finish().unwrap(), "deflate"), text);
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&text).unwrap();
        assert_eq!(decode(raw.finish().unwrap(), "deflate"), text);
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut io::Cursor::new(&text), &mut br, &Default::default()).unwrap();
        assert_eq!(decode(br, "br"), text);
        assert_eq!(
            decode(zstd::encode_all(&text[..], 3).unwrap(), "zstd"),
            text
        );
        assert_eq!(decode(text.clone(), "identity"), text);
        assert_eq!(decode(Vec::new(), "gzip"), b"");
        assert_eq!(decode(Vec::new(), "deflate, br"), b"");
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        let r = decoder(
            Box::new(io::Cursor::new(b"not gzip at all".to_vec())),
            Some("gzip"),
        )
        .read_to_end(&mut out);
        assert!(r.is_err());
    }
}
