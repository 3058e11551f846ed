//! Request bodies read from stdin: kept in memory up to a limit, spilled past it to an
//! anonymous temporary file, so memory stays bounded and the body can still be replayed
//! (redirects, digest challenges, retries) and sent with a Content-Length.

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::Arc;

/// Bodies up to this size stay in memory.
pub const MEMORY_LIMIT: usize = 16 << 20;

/// A spilled body: an unlinked file and its length. Readers use positioned reads, so any
/// number of them can replay it independently.
#[derive(Debug, Clone)]
pub struct Spooled {
    file: Arc<File>,
    pub len: u64,
}

impl PartialEq for Spooled {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.file, &other.file)
    }
}

/// What stdin held.
pub enum Stdin {
    Memory(Vec<u8>),
    Spooled(Spooled),
}

/// Read all of `input`, spilling to a temporary file past `limit` bytes.
pub fn read_all(input: &mut dyn Read, limit: usize) -> io::Result<Stdin> {
    let mut buf = Vec::new();
    input.take(limit as u64 + 1).read_to_end(&mut buf)?;
    if buf.len() <= limit {
        return Ok(Stdin::Memory(buf));
    }
    let mut file = anonymous_file()?;
    file.write_all(&buf)?;
    drop(buf);
    let rest = io::copy(input, &mut file)?;
    let len = (limit as u64 + 1) + rest;
    Ok(Stdin::Spooled(Spooled {
        file: Arc::new(file),
        len,
    }))
}

/// A new file in the temp directory, already unlinked: nothing is left behind, whatever
/// happens to the process.
fn anonymous_file() -> io::Result<File> {
    use std::hash::{BuildHasher, Hasher};
    let dir = std::env::temp_dir();
    for _ in 0..16 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        let path = dir.join(format!(".http-body-{:016x}", h.finish()));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                std::fs::remove_file(&path)?;
                return Ok(f);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(
        "cannot create a temporary file for the request body",
    ))
}

impl Spooled {
    /// A fresh reader from the start.
    pub fn reader(&self) -> SpooledReader {
        SpooledReader {
            file: self.file.clone(),
            pos: 0,
            len: self.len,
        }
    }
}

/// Reads a [`Spooled`] body with positioned reads (no shared file offset).
pub struct SpooledReader {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl Read for SpooledReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let left = self.len.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_bodies_stay_in_memory_and_large_ones_spill_and_replay() {
        match read_all(&mut &b"hello"[..], 8).unwrap() {
            Stdin::Memory(b) => assert_eq!(b, b"hello"),
            Stdin::Spooled(_) => panic!("spilled a small body"),
        }
        let data: Vec<u8> = (0..100u8).collect();
        let Stdin::Spooled(s) = read_all(&mut &data[..], 10).unwrap() else {
            panic!("kept a large body in memory");
        };
        assert_eq!(s.len, 100);
        for _ in 0..2 {
            let mut out = Vec::new();
            s.reader().read_to_end(&mut out).unwrap();
            assert_eq!(out, data);
        }
    }
}
