//! TagResource and UntagResource.

use super::check_secret_id_member;
use super::model::{check_tag_rules, check_tags, too_many_tags, Empty, WireTag, MAX_TAGS};
use super::{require, Ack, Caller, SecretsManager};
use crate::domain::validate::Violations;
use crate::error::Result;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    pub secret_id: Option<String>,
    pub tags: Option<Vec<WireTag>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    pub secret_id: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

impl SecretsManager {
    pub fn tag_resource(&self, caller: &Caller, input: TagResourceInput) -> Result<Ack<Empty>> {
        let mut v = Violations::new();
        require(&mut v, "tags", input.tags.is_some());
        let tags = check_tags("tags", input.tags.as_deref().unwrap_or_default(), &mut v);
        v.finish()?;
        let id = check_secret_id_member(input.secret_id.as_deref())?;
        check_tag_rules(&tags)?;
        let found = self.find(caller, &id)?;
        let mut s = found.writable()?;
        if s.tag_count_after(&tags) > MAX_TAGS {
            return Err(too_many_tags());
        }
        s.merge_tags(tags);
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        Ok(Ack::new(Empty {}, ticket))
    }

    pub fn untag_resource(&self, caller: &Caller, input: UntagResourceInput) -> Result<Ack<Empty>> {
        let mut v = Violations::new();
        require(&mut v, "tagKeys", input.tag_keys.is_some());
        for (i, k) in input.tag_keys.iter().flatten().enumerate() {
            v.length(&format!("tagKeys.{}.member", i + 1), Some(k), 1, 128);
        }
        v.finish()?;
        let id = check_secret_id_member(input.secret_id.as_deref())?;
        let found = self.find(caller, &id)?;
        let mut s = found.writable()?;
        s.remove_tags(&input.tag_keys.unwrap_or_default());
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        Ok(Ack::new(Empty {}, ticket))
    }
}
