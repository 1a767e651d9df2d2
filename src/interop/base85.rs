//! git's base85 and the `GIT binary patch` literal blocks built on it (see git's `base85.c` and
//! `diff.c:emit_binary_diff_body`): each line is a length character (`A`–`Z` for 1–26 bytes, `a`–`z` for
//! 27–52) followed by the zlib-deflated data in base85.

use std::io::Write;

const ALPHABET: &[u8; 85] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    for group in data.chunks(4) {
        let mut acc: u32 = 0;
        for i in 0..4 {
            acc = (acc << 8) | u32::from(*group.get(i).unwrap_or(&0));
        }
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = ALPHABET[(acc % 85) as usize];
            acc /= 85;
        }
        out.extend_from_slice(&digits);
    }
}

fn decode_value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Deflate `data` and write it as base85 lines, as git does after `literal N`.
pub fn literal_lines(data: &[u8]) -> Vec<u8> {
    let mut z = gix::zlib::stream::deflate::Write::new(Vec::new(), gix::zlib::Compression::default());
    z.write_all(data).expect("writing to memory");
    z.flush().expect("flushing to memory");
    let deflated = z.into_inner();
    let mut out = Vec::new();
    for line in deflated.chunks(52) {
        let n = line.len() as u8;
        out.push(if n <= 26 { b'A' + n - 1 } else { b'a' + n - 27 });
        encode_chunk(line, &mut out);
        out.push(b'\n');
    }
    out
}

/// Decode base85 lines (without their newlines) back to the deflated bytes and inflate them; `size` is the
/// size the `literal` line announced. None when the lines are malformed.
pub fn decode_literal(lines: &[&[u8]], size: usize) -> Option<Vec<u8>> {
    let mut deflated = Vec::new();
    for line in lines {
        let (&len, rest) = line.split_first()?;
        let n = match len {
            b'A'..=b'Z' => (len - b'A' + 1) as usize,
            b'a'..=b'z' => (len - b'a' + 27) as usize,
            _ => return None,
        };
        if rest.len() % 5 != 0 || rest.len() / 5 * 4 < n {
            return None;
        }
        let mut bytes = Vec::with_capacity(rest.len() / 5 * 4);
        for group in rest.chunks(5) {
            let mut acc: u64 = 0;
            for &c in group {
                acc = acc * 85 + u64::from(decode_value(c)?);
            }
            if acc > u64::from(u32::MAX) {
                return None;
            }
            bytes.extend_from_slice(&(acc as u32).to_be_bytes());
        }
        deflated.extend_from_slice(&bytes[..n]);
    }
    let mut out = vec![0u8; size];
    if size == 0 {
        return Some(out);
    }
    let mut inflate = gix::zlib::Inflate::default();
    let (_, _, written) = inflate.once(&deflated, &mut out).ok()?;
    (written == size).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_roundtrips() {
        for data in [
            b"".to_vec(),
            b"hello\0world".to_vec(),
            (0..5000u32).map(|i| (i * 7 % 251) as u8).collect(),
        ] {
            let text = literal_lines(&data);
            let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
            assert_eq!(decode_literal(&lines, data.len()).unwrap(), data);
        }
    }

    #[test]
    fn empty_literal_is_gits() {
        // git writes an empty file's literal as this one line.
        assert_eq!(decode_literal(&[b"HcmV?d00001"], 0).unwrap(), Vec::<u8>::new());
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(s in proptest::collection::vec(proptest::collection::vec(0u8..255, 0..70), 0..4), n in 0usize..100) {
            let lines: Vec<&[u8]> = s.iter().map(|l| l.as_slice()).collect();
            let _ = decode_literal(&lines, n);
        }
    }
}
