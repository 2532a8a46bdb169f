//! A list element that is either a typed value or that value already encoded as JSON, so an
//! answer can reuse an encoding kept beside the record it was made from.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use std::sync::Arc;

/// A value, or its JSON encoding made earlier. Encodings come from serializing a `T`, so both
/// forms write the same bytes; reading always gives a `Value`.
#[derive(Debug, Clone)]
pub enum Encoded<T> {
    Value(T),
    Json(Arc<RawValue>),
}

impl<T: Serialize> Encoded<T> {
    /// Encodes `value` once, for later answers to copy.
    pub fn encode(value: &T) -> serde_json::Result<Arc<RawValue>> {
        serde_json::value::to_raw_value(value).map(Arc::from)
    }
}

impl<T: Default> Default for Encoded<T> {
    fn default() -> Self {
        Encoded::Value(T::default())
    }
}

impl<T: Clone + PartialEq + for<'de> Deserialize<'de>> PartialEq for Encoded<T> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Encoded::Json(a), Encoded::Json(b)) => a.get() == b.get(),
            _ => self.decoded() == other.decoded(),
        }
    }
}

impl<T: Clone + for<'de> Deserialize<'de>> Encoded<T> {
    /// The typed value, read back from its encoding when it has one; `None` only if the kept
    /// encoding does not read as a `T`.
    pub fn decoded(&self) -> Option<T> {
        match self {
            Encoded::Value(v) => Some(v.clone()),
            Encoded::Json(raw) => serde_json::from_str(raw.get()).ok(),
        }
    }
}

impl<T> From<T> for Encoded<T> {
    fn from(value: T) -> Self {
        Encoded::Value(value)
    }
}

impl<T: Serialize> Serialize for Encoded<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Encoded::Value(v) => v.serialize(s),
            // serde_json writes a raw value's text as it is; it is only ever made by `encode`.
            Encoded::Json(raw) => raw.serialize(s),
        }
    }
}

impl<T: crate::wire::Validate> crate::wire::Validate for Encoded<T> {
    /// An encoding was checked, if at all, as the value it was made from.
    fn validate(&self, base: &str, v: &mut crate::wire::Violations) {
        if let Encoded::Value(value) = self {
            value.validate(base, v);
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Encoded<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Encoded::Value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Entry {
        #[serde(rename = "Name")]
        name: String,
    }

    #[test]
    fn a_kept_encoding_writes_the_same_bytes_as_the_value() {
        let e = Entry {
            name: "a\"b\u{1}".into(),
        };
        let kept = Encoded::Json(Encoded::encode(&e).unwrap());
        let fresh = Encoded::Value(e.clone());
        assert_eq!(
            serde_json::to_string(&vec![kept.clone()]).unwrap(),
            serde_json::to_string(&vec![fresh.clone()]).unwrap()
        );
        assert_eq!(kept, fresh);
        assert_eq!(kept.decoded(), Some(e));
    }
}
