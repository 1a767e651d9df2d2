//! Object ids as pq stores them: typed ([`Oid`]) in memory, 40 hex digits on disk and in JSON.
//!
//! gix's own serde support encodes an id as its raw bytes; pq's files (state, stop file, journal, log) are
//! meant to be read with `git show` and edited by hand in an emergency, so they keep the hex form. Reading
//! one validates it: anything but 40 hex digits is refused with the offending text, never a panic later.

use super::Oid;

/// The abbreviated form pq prints: 12 hex digits, as the kernel's `Fixes:` convention.
pub fn short(id: &Oid) -> String {
    abbrev(id, 12)
}

/// The first `len` hex digits of `id` (git's labels in conflict markers use 7).
pub fn abbrev(id: &Oid, len: usize) -> String {
    id.to_hex_with_len(len).to_string()
}

/// Parse a full hex id as pq stores it.
pub fn parse(text: &str) -> Result<Oid, String> {
    if text.len() != 40 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("invalid object id {text:?} (expected 40 hex digits)"));
    }
    Oid::from_hex(text.as_bytes()).map_err(|e| format!("invalid object id {text:?}: {e}"))
}

/// `#[serde(with = "crate::git::id::hex")]` for an [`Oid`] field.
pub mod hex {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    use crate::git::Oid;

    pub fn serialize<S: Serializer>(id: &Oid, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Oid, D::Error> {
        let text = String::deserialize(d)?;
        super::parse(&text).map_err(D::Error::custom)
    }
}

/// `#[serde(default, with = "crate::git::id::hex_opt")]` for an `Option<Oid>` field.
pub mod hex_opt {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    use crate::git::Oid;

    pub fn serialize<S: Serializer>(id: &Option<Oid>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => s.collect_str(id),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Oid>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(text) => super::parse(&text).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct T {
        #[serde(with = "hex")]
        a: Oid,
        #[serde(default, with = "hex_opt", skip_serializing_if = "Option::is_none")]
        b: Option<Oid>,
    }

    #[test]
    fn hex_on_disk() {
        let a = parse(&"ab".repeat(20)).unwrap();
        let t = T { a, b: None };
        let text = toml::to_string(&t).unwrap();
        assert_eq!(text.trim(), format!("a = \"{}\"", "ab".repeat(20)));
        assert_eq!(toml::from_str::<T>(&text).unwrap(), t);
        let t = T { a, b: Some(a) };
        assert_eq!(toml::from_str::<T>(&toml::to_string(&t).unwrap()).unwrap(), t);
        assert_eq!(short(&a), "abababababab");
        assert_eq!(abbrev(&a, 7), "abababa");
    }

    #[test]
    fn bad_ids_are_refused() {
        for bad in [
            "",
            "1234",
            &"g".repeat(40),
            &"a".repeat(64),
            "bbbbbbbbbbb\u{fffd}bbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
            let text = format!("a = {bad:?}");
            let err = toml::from_str::<T>(&text).unwrap_err();
            assert!(err.message().contains("invalid object id"), "{}", err.message());
        }
    }
}
