//! JSON structures must be JSON objects: serde's derived `Deserialize` also reads a struct
//! from an array of its members in order, so `"Tags": [[]]` would become an empty tag. The
//! generated shapes deserialize through [`Only`], which lets a structure be read from an
//! object and nothing else, so the protocol answers its type error (SerializationException).

use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;

/// A deserializer that reads structures only from maps (JSON objects).
pub struct Only<D>(pub D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Only<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, Objects(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Passes maps on; every other form is the caller's type error.
struct Objects<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for Objects<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }
}

#[cfg(test)]
mod tests {
    use crate::generated::secretsmanager::{Tag, TagResourceRequest};

    #[test]
    fn structures_are_read_from_objects_only() {
        let tag: Tag = serde_json::from_str(r#"{"Key":"k","Value":"v"}"#).unwrap();
        assert_eq!(tag.key.as_deref(), Some("k"));
        for bad in ["[]", r#"["k","v"]"#, "1", r#""k""#, "true"] {
            assert!(serde_json::from_str::<Tag>(bad).is_err(), "{bad}");
        }
        let nested = r#"{"SecretId":"s","Tags":[[]]}"#;
        let e = serde_json::from_str::<TagResourceRequest>(nested).unwrap_err();
        assert!(e.to_string().contains("expected a JSON object"), "{e}");
        let value = serde_json::json!({"Key": "k"});
        assert!(serde_json::from_value::<Tag>(value).is_ok());
        assert!(serde_json::from_value::<Tag>(serde_json::json!([])).is_err());
    }
}
