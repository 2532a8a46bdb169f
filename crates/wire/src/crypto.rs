//! AES-256-GCM under a key's material, and the ciphertext blob KMS hands out: the key's id
//! travels inside it (so Decrypt needs no KeyId) and the encryption context is bound to it.

use crate::wire::Map;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

/// Marks a blob this emulator made, and its layout version.
const MAGIC: &[u8; 4] = b"LEK1";
/// Marks a blob made under a later generation of a key's material (after rotation): the
/// generation follows the key id, as four big-endian bytes.
const MAGIC_ROTATED: &[u8; 4] = b"LEK2";
/// Key ids are UUIDs: 36 characters.
const ID_LEN: usize = 36;

/// Fresh key material or data key bytes from the operating system's random source.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    rand::fill(out.as_mut_slice());
    out
}

/// The context as one byte string, independent of the order it was given in.
fn aad(context: Option<&Map<String, String>>) -> Vec<u8> {
    let mut pairs: Vec<(&String, &String)> =
        context.map(|c| c.iter().collect()).unwrap_or_default();
    pairs.sort();
    serde_json::to_vec(&pairs).unwrap_or_default()
}

fn cipher(material: &[u8]) -> Option<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, material)
        .ok()
        .map(LessSafeKey::new)
}

/// Encrypts `plaintext` under `material`: nonce then ciphertext and tag.
pub fn seal(material: &[u8], plaintext: &[u8], aad_bytes: &[u8]) -> Option<Vec<u8>> {
    let key = cipher(material)?;
    let nonce_bytes = random_bytes(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(&nonce_bytes).ok()?;
    let mut buf = plaintext.to_vec();
    key.seal_in_place_append_tag(nonce, Aad::from(aad_bytes), &mut buf)
        .ok()?;
    let mut out = nonce_bytes;
    out.extend_from_slice(&buf);
    Some(out)
}

/// The plaintext of what [`seal`] made, if `material` and `aad_bytes` match.
pub fn open(material: &[u8], sealed: &[u8], aad_bytes: &[u8]) -> Option<Vec<u8>> {
    let key = cipher(material)?;
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = rest.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(aad_bytes), &mut buf)
        .ok()?;
    Some(plain.to_vec())
}

/// A ciphertext blob for `plaintext` under key `id`'s material of `generation` (1: the
/// material the key was made with).
pub fn encrypt_blob(
    id: &str,
    (generation, material): (u32, &[u8]),
    plaintext: &[u8],
    context: Option<&Map<String, String>>,
) -> Option<Vec<u8>> {
    let mut out = if generation == 1 {
        MAGIC.to_vec()
    } else {
        MAGIC_ROTATED.to_vec()
    };
    out.extend_from_slice(id.as_bytes());
    if generation != 1 {
        out.extend_from_slice(&generation.to_be_bytes());
    }
    out.extend_from_slice(&seal(material, plaintext, &aad(context))?);
    Some(out)
}

/// The key id a ciphertext blob names and the generation of its material, if it is ours;
/// with where the sealed bytes start.
fn header(blob: &[u8]) -> Option<(&str, u32, usize)> {
    if let Some(rest) = blob.strip_prefix(MAGIC.as_slice()) {
        let id = std::str::from_utf8(rest.get(..ID_LEN)?).ok()?;
        return Some((id, 1, MAGIC.len() + ID_LEN));
    }
    let rest = blob.strip_prefix(MAGIC_ROTATED.as_slice())?;
    let id = std::str::from_utf8(rest.get(..ID_LEN)?).ok()?;
    let generation = u32::from_be_bytes(rest.get(ID_LEN..ID_LEN + 4)?.try_into().ok()?);
    Some((id, generation, MAGIC.len() + ID_LEN + 4))
}

/// The key id a ciphertext blob names, if it is one of ours.
pub fn blob_key_id(blob: &[u8]) -> Option<&str> {
    header(blob).map(|(id, ..)| id)
}

/// The generation of key material a ciphertext blob was sealed under.
pub fn blob_generation(blob: &[u8]) -> Option<u32> {
    header(blob).map(|(_, g, _)| g)
}

pub fn decrypt_blob(
    blob: &[u8],
    material: &[u8],
    context: Option<&Map<String, String>>,
) -> Option<Vec<u8>> {
    let (.., start) = header(blob)?;
    open(material, blob.get(start..)?, &aad(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip_only_with_their_key_and_context() {
        let id = "11111111-2222-3333-4444-555555555555";
        let k = random_bytes(32);
        let mut ctx = Map::new();
        ctx.insert("a".to_string(), "1".to_string());
        let blob = encrypt_blob(id, (1, &k), b"hello", Some(&ctx)).unwrap();
        assert_eq!(blob_key_id(&blob), Some(id));
        assert_eq!(decrypt_blob(&blob, &k, Some(&ctx)).unwrap(), b"hello");
        assert!(decrypt_blob(&blob, &k, None).is_none());
        assert!(decrypt_blob(&blob, &random_bytes(32), Some(&ctx)).is_none());
        assert!(blob_key_id(b"junk").is_none());
        assert!(decrypt_blob(b"LEK1", &k, None).is_none());
    }
}
