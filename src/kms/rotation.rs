//! Key rotation: each rotation of a symmetric encryption key makes a new generation of its
//! material; encryption uses the newest, and a ciphertext names the generation it was made
//! under, so everything encrypted before still decrypts. Automatic rotation (on a period),
//! RotateKeyOnDemand, and the operations that show them.
//!
//! A generation's material is derived from the key's first material (HKDF-SHA256 over the
//! generation number), so nothing new needs storing before a ciphertext under it is handed
//! out: a rotation whose record a crash lost is made again, with the same material, the
//! next time the key is used.

use super::ops::{ok, page, unsupported, Answer};
use super::{Key, KeyState, Kms};
use crate::clock::Millis;
use crate::crypto;
use crate::domain::caller::Caller;
use crate::generated::kms as g;
use crate::generated::kms::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

const DAY: Millis = 86_400_000;
/// The rotations on demand a key may have.
const MAX_ON_DEMAND: usize = 25;

/// Automatic rotation of a key: its period, and when it next rotates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub period_days: i64,
    pub next: Millis,
}

/// One rotation: when, and whether on the schedule or on demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub date: Millis,
    pub on_demand: bool,
}

/// The id AWS shows for generation `generation` of key `id`'s material (64 hex digits): a
/// digest of the two, stable across restarts and telling nothing of the material.
pub fn material_id(id: &str, generation: u32) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"localemu key material id\0");
    h.update(id.as_bytes());
    h.update(b"\0");
    h.update(generation.to_be_bytes());
    h.finalize()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Generation `generation` (2 and later) of a key's material, derived from its first.
fn derived(first: &[u8], generation: u32) -> Option<Vec<u8>> {
    struct Len32;
    impl ring::hkdf::KeyType for Len32 {
        fn len(&self) -> usize {
            32
        }
    }
    let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"localemu key rotation");
    let info = generation.to_be_bytes();
    let info = [info.as_slice()];
    let prk = salt.extract(first);
    let okm = prk.expand(&info, Len32).ok()?;
    let mut out = vec![0u8; 32];
    okm.fill(&mut out).ok()?;
    Some(out)
}

impl Key {
    /// The generation of the key's current material (1 until it rotates).
    pub fn generation(&self) -> u32 {
        u32::try_from(self.rotations.len()).map_or(u32::MAX, |n| n.saturating_add(1))
    }

    /// The material of `generation`. One past what the record shows is still derived: a
    /// rotation whose record is not yet stored may have sealed a blob already.
    fn material_of(&self, generation: u32) -> Option<std::borrow::Cow<'_, [u8]>> {
        match generation {
            0 => None,
            1 => Some(std::borrow::Cow::Borrowed(&self.material)),
            n => derived(&self.material, n).map(std::borrow::Cow::Owned),
        }
    }

    /// `plaintext` sealed under the key's current material.
    pub fn seal_blob(
        &self,
        plaintext: &[u8],
        context: Option<&crate::wire::Map<String, String>>,
    ) -> Option<Vec<u8>> {
        let generation = self.generation();
        let material = self.material_of(generation)?;
        crypto::encrypt_blob(&self.id, (generation, &material), plaintext, context)
    }

    /// A blob this key sealed, opened with the generation of material it names; with that
    /// generation's material id.
    pub fn open_blob(
        &self,
        blob: &[u8],
        context: Option<&crate::wire::Map<String, String>>,
    ) -> Option<(Vec<u8>, String)> {
        let generation = crypto::blob_generation(blob)?;
        let plain = crypto::decrypt_blob(blob, &self.material_of(generation)?, context)?;
        Some((plain, material_id(&self.id, generation)))
    }
}

/// Refuses a key that cannot rotate: only customer managed symmetric encryption keys do.
fn rotatable(key: &Key, operation: &str) -> Result<()> {
    if key.multi_region == Some(super::multi_region::Part::Replica) {
        return Err(unsupported(format!(
            "{} is a multi-Region replica key: {operation} is done on its primary key.",
            key.arn
        )));
    }
    if key.spec != "SYMMETRIC_DEFAULT" {
        return Err(unsupported(format!(
            "{} key spec is {} which is not valid for {operation}.",
            key.arn, key.spec
        )));
    }
    if key.origin != "AWS_KMS" {
        return Err(unsupported(format!(
            "{} origin is {} which is not valid for {operation}.",
            key.arn, key.origin
        )));
    }
    if key.aws_managed {
        return Err(unsupported(format!(
            "{} is an AWS managed key, which AWS rotates.",
            key.arn
        )));
    }
    Kms::usable(key)
}

/// Rotates `key` (already checked) at `at`: its next generation of material.
fn rotate(key: &mut Key, at: Millis, on_demand: bool) {
    key.rotations.push(Rotation {
        date: at,
        on_demand,
    });
}

/// Whether automatic rotations fell due by `now`.
pub(super) fn due(key: &Key, now: Millis) -> bool {
    // A multi-Region replica rotates when its primary does (see `Kms::change`).
    key.multi_region != Some(super::multi_region::Part::Replica)
        && key.state == KeyState::Enabled
        && key.rotation.as_ref().is_some_and(|s| now >= s.next)
}

/// Makes the automatic rotations that fell due by `now`: rotation is lazy, a key catches up
/// when it is next used.
pub(super) fn catch_up(key: &mut Key, now: Millis) {
    while due(key, now) {
        let Some(s) = key.rotation.clone() else { break };
        rotate(key, s.next, false);
        key.rotation = Some(Schedule {
            next: s.next + s.period_days.max(1) * DAY,
            ..s
        });
    }
}

impl g::EnableKeyRotation for Kms {
    fn enable_key_rotation(&self, cx: &Caller, i: g::EnableKeyRotationRequest) -> Answer<()> {
        let period = i.rotation_period_in_days.unwrap_or(365);
        let now = self.now();
        let (_, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:EnableKeyRotation",
            |k| {
                rotatable(k, "EnableKeyRotation")?;
                k.rotation = Some(Schedule {
                    period_days: period,
                    next: now + period * DAY,
                });
                Ok(())
            },
        )?;
        ok((), t)
    }
}

impl g::DisableKeyRotation for Kms {
    fn disable_key_rotation(&self, cx: &Caller, i: g::DisableKeyRotationRequest) -> Answer<()> {
        let (_, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:DisableKeyRotation",
            |k| {
                rotatable(k, "DisableKeyRotation")?;
                k.rotation = None;
                Ok(())
            },
        )?;
        ok((), t)
    }
}

impl g::GetKeyRotationStatus for Kms {
    fn get_key_rotation_status(
        &self,
        cx: &Caller,
        i: g::GetKeyRotationStatusRequest,
    ) -> Answer<g::GetKeyRotationStatusResponse> {
        let key = self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:GetKeyRotationStatus",
        )?;
        if key.spec != "SYMMETRIC_DEFAULT" {
            return Err(unsupported(format!(
                "{} key spec is {} which is not valid for GetKeyRotationStatus.",
                key.arn, key.spec
            )));
        }
        let secs = |ms: Millis| ms as f64 / 1000.0;
        let last_on_demand = key.rotations.iter().rev().find(|r| r.on_demand);
        ok(
            g::GetKeyRotationStatusResponse {
                key_rotation_enabled: Some(key.rotation.is_some()),
                key_id: Some(key.arn.clone()),
                rotation_period_in_days: key.rotation.as_ref().map(|s| s.period_days),
                next_rotation_date: key.rotation.as_ref().map(|s| secs(s.next)),
                on_demand_rotation_start_date: last_on_demand.map(|r| secs(r.date)),
            },
            crate::wire::Ticket::ready(),
        )
    }
}

impl g::RotateKeyOnDemand for Kms {
    fn rotate_key_on_demand(
        &self,
        cx: &Caller,
        i: g::RotateKeyOnDemandRequest,
    ) -> Answer<g::RotateKeyOnDemandResponse> {
        let now = self.now();
        let (key, t) = self.set_state(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:RotateKeyOnDemand",
            |k| {
                if k.spec != "SYMMETRIC_DEFAULT" {
                    return Err(unsupported(""));
                }
                rotatable(k, "RotateKeyOnDemand")?;
                if k.rotations.iter().filter(|r| r.on_demand).count() >= MAX_ON_DEMAND {
                    return Err(Error::new(
                        ErrorCode::LimitExceededException,
                        format!(
                            "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {}",
                            k.arn
                        ),
                    ));
                }
                rotate(k, now, true);
                Ok(())
            },
        )?;
        ok(
            g::RotateKeyOnDemandResponse {
                key_id: Some(key.arn.clone()),
            },
            t,
        )
    }
}

impl g::ListKeyRotations for Kms {
    fn list_key_rotations(
        &self,
        cx: &Caller,
        i: g::ListKeyRotationsRequest,
    ) -> Answer<g::ListKeyRotationsResponse> {
        let key = self.key_for(
            cx,
            i.key_id.as_deref().unwrap_or_default(),
            "kms:ListKeyRotations",
        )?;
        if key.spec != "SYMMETRIC_DEFAULT" {
            return Err(unsupported(format!(
                "{} key spec is {} which is not valid for ListKeyRotations.",
                key.arn, key.spec
            )));
        }
        let current = key.generation();
        let all: Vec<g::RotationsListEntry> = key
            .rotations
            .iter()
            .zip(2u32..)
            .map(|(r, generation)| g::RotationsListEntry {
                key_id: Some(key.arn.clone()),
                rotation_date: Some(r.date as f64 / 1000.0),
                rotation_type: Some(
                    if r.on_demand {
                        "ON_DEMAND"
                    } else {
                        "AUTOMATIC"
                    }
                    .into(),
                ),
                key_material_id: Some(material_id(&key.id, generation)),
                key_material_state: Some(
                    if generation == current {
                        "CURRENT"
                    } else {
                        "NON_CURRENT"
                    }
                    .into(),
                ),
                ..Default::default()
            })
            .collect();
        let (rotations, next) = page(&all, i.marker.as_deref(), i.limit)?;
        ok(
            g::ListKeyRotationsResponse {
                truncated: Some(next.is_some()),
                next_marker: next,
                rotations: Some(rotations),
            },
            crate::wire::Ticket::ready(),
        )
    }
}
