//! `psosc run --secrets FILE`: the broker's user, password and CA file for
//! the devices, from a file rather than psosc's environment. Lines are
//! `NAME=VALUE`, with blank lines and `#` comments; the names are the
//! variables a `host` device reads. psosc hands them to the devices'
//! environments and never prints a value.

use std::path::Path;

use super::RunError;

/// The variables a secrets file may set.
pub const NAMES: &[&str] = &["PSOS_MQTT_USERNAME", "PSOS_MQTT_PASSWORD", "PSOS_MQTT_CA"];

/// The variables a secrets file sets, in its order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets(pub Vec<(String, String)>);

impl Secrets {
    /// Reads a secrets file. A problem names the line, never its value.
    pub fn read(path: &Path) -> Result<Self, RunError> {
        let text = std::fs::read_to_string(path).map_err(|source| RunError::Secrets {
            path: path.to_path_buf(),
            message: source.to_string(),
        })?;
        Self::parse(&text).map_err(|message| RunError::Secrets {
            path: path.to_path_buf(),
            message,
        })
    }

    fn parse(text: &str) -> Result<Self, String> {
        let mut secrets = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let number = index + 1;
            let Some((name, value)) = line.split_once('=') else {
                return Err(format!("line {number} is not NAME=VALUE"));
            };
            let name = name.trim();
            if !NAMES.contains(&name) {
                return Err(format!(
                    "line {number} sets {name:?}; a secrets file sets only {}",
                    NAMES.join(", ")
                ));
            }
            if secrets
                .iter()
                .any(|(seen, _): &(String, String)| seen == name)
            {
                return Err(format!("line {number} sets {name} a second time"));
            }
            secrets.push((name.to_string(), value.trim().to_string()));
        }
        Ok(Self(secrets))
    }
}

#[cfg(test)]
mod tests {
    use super::Secrets;

    #[test]
    fn names_and_values_comments_and_mistakes() {
        let secrets = Secrets::parse(
            "# the cloud broker\n\nPSOS_MQTT_USERNAME = fleet\nPSOS_MQTT_PASSWORD=a=b c\n",
        );
        assert_eq!(
            secrets,
            Ok(Secrets(vec![
                ("PSOS_MQTT_USERNAME".to_string(), "fleet".to_string()),
                ("PSOS_MQTT_PASSWORD".to_string(), "a=b c".to_string()),
            ]))
        );
        let error = |text: &str| Secrets::parse(text).expect_err(text);
        assert_eq!(error("PSOS_MQTT_PASSWORD"), "line 1 is not NAME=VALUE");
        assert!(error("\nPATH=/bin").starts_with("line 2 sets \"PATH\""));
        assert_eq!(
            error("PSOS_MQTT_CA=a\nPSOS_MQTT_CA=b"),
            "line 2 sets PSOS_MQTT_CA a second time"
        );
        // A mistake names the line, not the value that may be a secret.
        assert!(!error("PSOS_MQTT_PASSWORD hunter2").contains("hunter2"));
    }
}
