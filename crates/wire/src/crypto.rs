//! AES-256-GCM under a key's material, and the ciphertext blob KMS hands out: the key's id
//! travels inside it (so Decrypt needs no KeyId) and the encryption context is bound to it.

use crate::wire::Map;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

/// Marks a blob this emulator made, and its layout version.
const MAGIC: &[u8; 4] = b"LEK1";
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

/// A ciphertext blob for `plaintext` under key `id`.
pub fn encrypt_blob(
    id: &str,
    material: &[u8],
    plaintext: &[u8],
    context: Option<&Map<String, String>>,
) -> Option<Vec<u8>> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&seal(material, plaintext, &aad(context))?);
    Some(out)
}

/// The key id a ciphertext blob names, if it is one of ours.
pub fn blob_key_id(blob: &[u8]) -> Option<&str> {
    let rest = blob.strip_prefix(MAGIC.as_slice())?;
    std::str::from_utf8(rest.get(..ID_LEN)?).ok()
}

pub fn decrypt_blob(
    blob: &[u8],
    material: &[u8],
    context: Option<&Map<String, String>>,
) -> Option<Vec<u8>> {
    let sealed = blob.get(MAGIC.len() + ID_LEN..)?;
    open(material, sealed, &aad(context))
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
        let blob = encrypt_blob(id, &k, b"hello", Some(&ctx)).unwrap();
        assert_eq!(blob_key_id(&blob), Some(id));
        assert_eq!(decrypt_blob(&blob, &k, Some(&ctx)).unwrap(), b"hello");
        assert!(decrypt_blob(&blob, &k, None).is_none());
        assert!(decrypt_blob(&blob, &random_bytes(32), Some(&ctx)).is_none());
        assert!(blob_key_id(b"junk").is_none());
        assert!(decrypt_blob(b"LEK1", &k, None).is_none());
    }
}
