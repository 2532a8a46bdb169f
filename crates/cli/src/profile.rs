//! The AWS CLI's shared configuration for the `awsemu` client: `~/.aws/config` and
//! `~/.aws/credentials` (or the files `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`
//! name), the profile `--profile` or `AWS_PROFILE` selects, read with the AWS SDK's own parser.

use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};
use std::borrow::Cow;

/// What the selected profile says, as far as the client uses it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Profile {
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub endpoint_url: Option<String>,
}

/// The profile `name` (else `AWS_PROFILE`, else `default`) read from the shared files. A
/// profile asked for by name that no file holds is an error, as in the AWS CLI; no files at
/// all, or no `default` profile, is an empty profile.
pub async fn load(name: Option<&str>) -> Result<Profile, String> {
    load_from(&Fs::real(), &Env::real(), name).await
}

async fn load_from(fs: &Fs, env: &Env, name: Option<&str>) -> Result<Profile, String> {
    let asked = name
        .map(str::to_string)
        .or_else(|| env.get("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
    let set = match aws_config::profile::load(
        fs,
        env,
        &EnvConfigFiles::default(),
        asked.clone().map(Cow::Owned),
    )
    .await
    {
        Ok(set) => set,
        // Files that cannot be read or parsed: the AWS CLI stops, naming the cause.
        Err(e) => return Err(format!("Unable to parse config file: {e}")),
    };
    let Some(profile) = set.get_profile(set.selected_profile()) else {
        return match asked {
            Some(p) if p != "default" => {
                Err(format!("The config profile ({p}) could not be found"))
            }
            _ => Ok(Profile::default()),
        };
    };
    let get = |key: &str| {
        profile
            .get(key)
            .map(str::to_string)
            .filter(|v| !v.is_empty())
    };
    Ok(Profile {
        region: get("region"),
        access_key_id: get("aws_access_key_id"),
        secret_access_key: get("aws_secret_access_key"),
        session_token: get("aws_session_token"),
        endpoint_url: get("endpoint_url"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(config: &str, credentials: &str) -> (Fs, Env, Env) {
        let fs = Fs::from_slice(&[
            ("/home/u/.aws/config", config),
            ("/home/u/.aws/credentials", credentials),
        ]);
        let env = Env::from_slice(&[("HOME", "/home/u")]);
        let with_profile = Env::from_slice(&[("HOME", "/home/u"), ("AWS_PROFILE", "work")]);
        (fs, env, with_profile)
    }

    #[tokio::test]
    async fn profiles_are_read_as_the_aws_cli_reads_them() {
        let (fs, env, with_profile) = files(
            "[default]\nregion = us-west-2\n[profile work]\nregion = eu-central-1\nendpoint_url = http://localhost:4599\n",
            "[default]\naws_access_key_id = 111111111111\naws_secret_access_key = s\n[work]\naws_access_key_id = 222222222222\naws_secret_access_key = t\naws_session_token = tok\n",
        );
        let default = load_from(&fs, &env, None).await.unwrap();
        assert_eq!(default.region.as_deref(), Some("us-west-2"));
        assert_eq!(default.access_key_id.as_deref(), Some("111111111111"));
        let work = load_from(&fs, &with_profile, None).await.unwrap();
        assert_eq!(work.region.as_deref(), Some("eu-central-1"));
        assert_eq!(work.access_key_id.as_deref(), Some("222222222222"));
        assert_eq!(work.session_token.as_deref(), Some("tok"));
        assert_eq!(work.endpoint_url.as_deref(), Some("http://localhost:4599"));
        // --profile wins over AWS_PROFILE.
        let named = load_from(&fs, &with_profile, Some("default"))
            .await
            .unwrap();
        assert_eq!(named.region.as_deref(), Some("us-west-2"));
        let e = load_from(&fs, &env, Some("nope")).await.unwrap_err();
        assert_eq!(e, "The config profile (nope) could not be found");
        let (empty_fs, env, _) = files("", "");
        drop(empty_fs);
        let none = load_from(&Fs::from_slice(&[]), &env, None).await.unwrap();
        assert_eq!(none, Profile::default());
    }
}
