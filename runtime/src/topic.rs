//! MQTT topics and topic filters: which are valid, and which topics a
//! filter matches (`+` one level, `#` the rest), as MQTT 5 defines them.
//! The compiler uses the same functions to wire local topics at build time.

/// Whether `topic` is a topic a message can be published to: not empty, no
/// wildcards, no NUL.
pub fn valid_topic(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['+', '#', '\0'])
}

/// Whether `filter` is a topic filter a client can subscribe to: `+` fills
/// a whole level, `#` only the whole last level.
pub fn valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') {
        return false;
    }
    let levels = filter.split('/');
    let count = filter.split('/').count();
    levels.enumerate().all(|(index, level)| match level {
        "#" => index + 1 == count,
        "+" => true,
        other => !other.contains(['+', '#']),
    })
}

/// Whether a topic filter matches a topic. Topics that start with `$` are
/// not matched by a filter that starts with a wildcard (MQTT 5, 4.7.2).
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut topic_levels = topic.split('/');
    for filter_level in filter.split('/') {
        match (filter_level, topic_levels.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (expected, Some(level)) if expected == level => {}
            _ => return false,
        }
    }
    topic_levels.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_as_mqtt_says() {
        let cases = [
            ("a/b", "a/b", true),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("#", "a/b", true),
            ("+/+", "/x", true),
            ("+", "$SYS", false),
            ("#", "$SYS/x", false),
            ("$SYS/#", "$SYS/x", true),
            ("a/b", "a/b/c", false),
            ("a/b/c", "a/b", false),
        ];
        for (filter, topic, expect) in cases {
            assert_eq!(matches(filter, topic), expect, "{filter} on {topic}");
        }
    }

    #[test]
    fn valid_filters_and_topics() {
        for good in ["a", "a/+/c", "#", "a/#", "+", "/"] {
            assert!(valid_filter(good), "{good}");
        }
        for bad in ["", "a/#/c", "a+", "a/b#", "#/a"] {
            assert!(!valid_filter(bad), "{bad}");
        }
        assert!(valid_topic("a/b"));
        assert!(!valid_topic("a/+"));
        assert!(!valid_topic(""));
    }
}
