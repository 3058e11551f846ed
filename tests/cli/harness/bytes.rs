//! Byte helpers for checking terminal output.

/// Whether `needle` occurs in `hay` (an empty needle never does).
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether any ESC byte is present.
pub fn has_esc(bytes: &[u8]) -> bool {
    bytes.contains(&0x1b)
}

/// Removes CSI sequences (`ESC [ params final`), i.e. the product's own colours.
pub fn strip_ansi(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            i += 2;
            while i < bytes.len() && !(0x40..=0x7e).contains(&bytes[i]) {
                i += 1;
            }
            i += 1;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
