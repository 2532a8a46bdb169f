//! TagResource and UntagResource.

use super::model::{domain_tags, too_many_tags, MAX_TAGS};
use super::{secret_id, Ack, Caller, SecretsManager};
use crate::generated::secretsmanager as sm;
use crate::generated::secretsmanager::Result;

impl sm::TagResource for SecretsManager {
    fn tag_resource(&self, caller: &Caller, input: sm::TagResourceRequest) -> Result<Ack<()>> {
        let tags = domain_tags(caller, "tags", input.tags)?;
        let id = secret_id(input.secret_id)?;
        let found = self.find(caller, &id)?;
        let mut s = found.writable()?;
        if s.tag_count_after(&tags) > MAX_TAGS {
            return Err(too_many_tags());
        }
        s.merge_tags(tags);
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        Ok(Ack::new((), ticket))
    }
}

impl sm::UntagResource for SecretsManager {
    fn untag_resource(&self, caller: &Caller, input: sm::UntagResourceRequest) -> Result<Ack<()>> {
        let id = secret_id(input.secret_id)?;
        let found = self.find(caller, &id)?;
        let mut s = found.writable()?;
        s.remove_tags(&input.tag_keys.unwrap_or_default());
        s.touch_changed(self.now());
        let ticket = self.commit(&found, &s, &[]);
        Ok(Ack::new((), ticket))
    }
}
