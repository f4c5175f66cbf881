//! Node-RED property expressions (`payload.a["b c"][0]`), parsed at build
//! time into the path a device follows without parsing anything.

use crate::ir::PathSegment;

/// Parses a property expression as Node-RED's `normalisePropertyExpression`
/// reads it. The error says what is wrong, for a diagnostic.
pub fn parse(expression: &str) -> Result<Vec<PathSegment>, String> {
    let mut segments = Vec::new();
    let mut chars = expression.char_indices().peekable();
    let mut expect_key = true;
    while let Some((at, c)) = chars.next() {
        match c {
            '.' if !expect_key => expect_key = true,
            '[' => {
                let segment = match chars.peek().map(|(_, c)| *c) {
                    Some(quote @ ('"' | '\'')) => {
                        chars.next();
                        let mut key = String::new();
                        loop {
                            match chars.next() {
                                Some((_, c)) if c == quote => break,
                                Some((_, '\\')) => match chars.next() {
                                    Some((_, escaped)) => key.push(escaped),
                                    None => return Err("an escape at the end of a quoted key".to_string()),
                                },
                                Some((_, c)) => key.push(c),
                                None => return Err(format!("the quoted key opened at {} is not closed", at + 1)),
                            }
                        }
                        PathSegment::Key(key)
                    }
                    Some(digit) if digit.is_ascii_digit() => {
                        let mut digits = String::new();
                        while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                            digits.push(*d);
                            chars.next();
                        }
                        PathSegment::Index(digits.parse().map_err(|_| format!("the index {digits} is too large"))?)
                    }
                    _ => {
                        return Err(
                            "a bracket must hold a number or a quoted key; a property chosen by another \
                             property (`a[msg.topic]`) is not supported"
                                .to_string(),
                        )
                    }
                };
                if chars.next().map(|(_, c)| c) != Some(']') {
                    return Err(format!("the bracket opened at {} is not closed", at + 1));
                }
                segments.push(segment);
                expect_key = false;
            }
            '.' | ']' => return Err(format!("unexpected {c:?} at {}", at + 1)),
            c if expect_key => {
                let mut key = String::from(c);
                while let Some((_, next)) = chars
                    .peek()
                    .filter(|(_, next)| !matches!(next, '.' | '[' | ']'))
                {
                    key.push(*next);
                    chars.next();
                }
                segments.push(PathSegment::Key(key));
                expect_key = false;
            }
            c => return Err(format!("expected `.` or `[` before {c:?} at {}", at + 1)),
        }
    }
    if segments.is_empty() {
        return Err("the property is empty".to_string());
    }
    if expect_key {
        return Err("the property ends with `.`".to_string());
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathSegment::{Index, Key};

    fn key(name: &str) -> PathSegment {
        Key(name.to_string())
    }

    fn check(expression: &str, expect: Result<Vec<PathSegment>, ()>) {
        assert_eq!(parse(expression).map_err(|_| ()), expect, "{expression}");
    }

    #[test]
    fn node_red_property_expressions() {
        check("payload", Ok(vec![key("payload")]));
        check("payload.a.b", Ok(vec![key("payload"), key("a"), key("b")]));
        check("payload[0].x", Ok(vec![key("payload"), Index(0), key("x")]));
        check(
            r#"payload["a.b"]['c]']"#,
            Ok(vec![key("payload"), key("a.b"), key("c]")]),
        );
        check(r#"["quoted \"key\""]"#, Ok(vec![key("quoted \"key\"")]));
        check("payload.a b", Ok(vec![key("payload"), key("a b")]));
        for bad in ["", ".a", "a.", "a..b", "a[", "a[b]", "a[0", "a]", "a['x"] {
            check(bad, Err(()));
        }
    }
}
