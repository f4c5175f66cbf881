//! Mustache templates parsed as mustache.js 4 (which Node-RED's `template`
//! node uses) parses them: the same tags, the same lines left out around
//! standalone tags, the same errors. The result is the flat token list a
//! device renders.

use psos::is_js_white_space;

/// A piece of a template, names as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    Text(String),
    /// `{{name}}` (`escape`), `{{{name}}}` or `{{& name}}`.
    Value {
        name: String,
        escape: bool,
    },
    /// `{{#name}}` or `{{^name}}`; its body is the pieces after it up to
    /// the index `end`.
    Section {
        name: String,
        inverted: bool,
        end: usize,
    },
}

/// Why a template does not parse: mustache.js's message, and the byte
/// offset in the template it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub at: usize,
    /// Sections nest deeper than the device allows; mustache.js would
    /// parse it.
    pub too_deep: bool,
}

/// What mustache.js's parser collects before it squashes text and nests
/// sections.
enum Raw {
    Char(char),
    Value(String, bool),
    Open(String, bool),
    /// Closes the section opened by the raw token at this index.
    Close(usize),
}

/// mustache.js's `Scanner`, over byte offsets.
struct Scanner<'t> {
    template: &'t str,
    pos: usize,
}

impl<'t> Scanner<'t> {
    fn tail(&self) -> &'t str {
        self.template.get(self.pos..).unwrap_or_default()
    }

    /// `scan(/\s*/)`.
    fn skip_space(&mut self) {
        let tail = self.tail();
        self.pos += tail.len() - tail.trim_start_matches(is_js_white_space).len();
    }

    /// `scan(/\s*LITERAL/)`: whether it was there (and is now passed).
    fn scan(&mut self, literal: &str) -> bool {
        let before = self.pos;
        self.skip_space();
        if self.tail().starts_with(literal) {
            self.pos += literal.len();
            true
        } else {
            self.pos = before;
            false
        }
    }

    /// `scanUntil(/\s*LITERAL/)`: the text up to the first `LITERAL` and
    /// the space before it, or up to the end.
    fn scan_until(&mut self, literal: &str) -> &'t str {
        let tail = self.tail();
        let end = match tail.find(literal) {
            Some(found) => tail.get(..found).map_or(found, |before| {
                before.trim_end_matches(is_js_white_space).len()
            }),
            None => tail.len(),
        };
        self.pos += end;
        tail.get(..end).unwrap_or_default()
    }
}

/// mustache.js's `parseTemplate`, with `{{ }}` as the first delimiters.
/// `max_depth` bounds how deeply sections nest.
pub fn parse(template: &str, max_depth: usize) -> Result<Vec<Parsed>, ParseError> {
    let error = |message: String, at: usize| {
        Err(ParseError {
            message,
            at,
            too_deep: false,
        })
    };
    let mut tokens: Vec<Option<Raw>> = Vec::new();
    // Open sections: their raw index, name and place.
    let mut sections: Vec<(usize, String, usize)> = Vec::new();
    // The whitespace characters of the current line, which go if the line
    // holds only standalone tags.
    let mut line = Line::default();
    let (mut open, mut close) = ("{{".to_string(), "}}".to_string());
    let mut scanner = Scanner { template, pos: 0 };
    while scanner.pos < template.len() {
        for c in scanner.scan_until_exact(&open).chars() {
            if is_js_white_space(c) {
                line.spaces.push(tokens.len());
            } else {
                line.non_space = true;
            }
            tokens.push(Some(Raw::Char(c)));
            if c == '\n' {
                line.strip(&mut tokens);
            }
        }
        let start = scanner.pos;
        if !scanner.tail().starts_with(open.as_str()) {
            break;
        }
        scanner.pos += open.len();
        scanner.skip_space();
        line.has_tag = true;
        let kind = scanner
            .tail()
            .chars()
            .next()
            .filter(|c| "#^/>{&=!".contains(*c));
        if let Some(c) = kind {
            scanner.pos += c.len_utf8();
        }
        scanner.skip_space();
        let value = match kind {
            Some('=') => {
                let value = scanner.scan_until("=");
                scanner.scan("=");
                scanner.scan_until(&close);
                value
            }
            Some('{') => {
                let value = scanner.scan_until(&format!("}}{close}"));
                scanner.scan("}");
                scanner.scan_until(&close);
                value
            }
            _ => scanner.scan_until(&close),
        }
        .to_string();
        if !scanner.scan(&close) {
            return error(
                format!("Unclosed tag at {}", utf16_offset(template, scanner.pos)),
                scanner.pos,
            );
        }
        match kind {
            Some(c @ ('#' | '^')) => {
                if sections.len() >= max_depth {
                    return Err(ParseError {
                        message: format!("sections nest deeper than {max_depth} levels"),
                        at: start,
                        too_deep: true,
                    });
                }
                sections.push((tokens.len(), value.clone(), start));
                tokens.push(Some(Raw::Open(value, c == '^')));
            }
            Some('/') => {
                let Some((opened, name, _)) = sections.pop() else {
                    return error(
                        format!(
                            "Unopened section \"{value}\" at {}",
                            utf16_offset(template, start)
                        ),
                        start,
                    );
                };
                if name != value {
                    return error(
                        format!(
                            "Unclosed section \"{name}\" at {}",
                            utf16_offset(template, start)
                        ),
                        start,
                    );
                }
                tokens.push(Some(Raw::Close(opened)));
            }
            None | Some('{' | '&') => {
                line.non_space = true;
                tokens.push(Some(Raw::Value(value, kind.is_none())));
            }
            Some('=') => {
                let mut tags = value.split(is_js_white_space).filter(|tag| !tag.is_empty());
                match (tags.next(), tags.next()) {
                    (Some(new_open), Some(new_close)) => {
                        open = new_open.to_string();
                        close = new_close.to_string();
                    }
                    _ => return error(format!("Invalid tags: {value}"), start),
                }
            }
            // Comments, and partials, which Node-RED never has.
            _ => {}
        }
    }
    line.strip(&mut tokens);
    if let Some((_, name, _)) = sections.pop() {
        return error(
            format!(
                "Unclosed section \"{name}\" at {}",
                utf16_offset(template, scanner.pos)
            ),
            scanner.pos,
        );
    }
    Ok(nest(tokens))
}

impl Scanner<'_> {
    /// `scanUntil(/OPEN\s*/)`: the text before the next opening tag.
    fn scan_until_exact(&mut self, literal: &str) -> &str {
        let tail = self.tail();
        let end = tail.find(literal).unwrap_or(tail.len());
        self.pos += end;
        tail.get(..end).unwrap_or_default()
    }
}

/// What mustache.js tracks of the current line.
#[derive(Default)]
struct Line {
    spaces: Vec<usize>,
    has_tag: bool,
    non_space: bool,
}

impl Line {
    /// mustache.js's `stripSpace`: a line with tags and nothing but space
    /// besides loses its space and its line break.
    fn strip(&mut self, tokens: &mut [Option<Raw>]) {
        if self.has_tag && !self.non_space {
            for index in self.spaces.drain(..) {
                if let Some(token) = tokens.get_mut(index) {
                    *token = None;
                }
            }
        } else {
            self.spaces.clear();
        }
        self.has_tag = false;
        self.non_space = false;
    }
}

/// Squashes characters into text and gives each section the index its
/// body ends at.
fn nest(tokens: Vec<Option<Raw>>) -> Vec<Parsed> {
    let mut out: Vec<Parsed> = Vec::new();
    // Raw index of a section's opening → its index in `out`.
    let mut opened = std::collections::HashMap::new();
    // Text goes on the last piece only if no tag came since: not across
    // the end of a section.
    let mut in_text = false;
    for (index, token) in tokens.into_iter().enumerate() {
        let is_char = matches!(token, Some(Raw::Char(_)));
        match token {
            None => continue,
            Some(Raw::Char(c)) => match out.last_mut() {
                Some(Parsed::Text(text)) if in_text => text.push(c),
                _ => out.push(Parsed::Text(c.to_string())),
            },
            Some(Raw::Value(name, escape)) => out.push(Parsed::Value { name, escape }),
            Some(Raw::Open(name, inverted)) => {
                opened.insert(index, out.len());
                out.push(Parsed::Section {
                    name,
                    inverted,
                    end: 0,
                });
            }
            Some(Raw::Close(open)) => {
                let end = out.len();
                if let Some(Parsed::Section { end: slot, .. }) =
                    opened.get(&open).and_then(|at| out.get_mut(*at))
                {
                    *slot = end;
                }
            }
        }
        in_text = is_char;
    }
    out
}

/// A byte offset as JavaScript counts string positions.
fn utf16_offset(template: &str, at: usize) -> usize {
    template
        .get(..at)
        .map_or(at, |before| before.encode_utf16().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Parsed {
        Parsed::Text(s.to_string())
    }

    fn value(name: &str, escape: bool) -> Parsed {
        Parsed::Value {
            name: name.to_string(),
            escape,
        }
    }

    fn section(name: &str, inverted: bool, end: usize) -> Parsed {
        Parsed::Section {
            name: name.to_string(),
            inverted,
            end,
        }
    }

    #[test]
    fn tags_as_mustache_js_reads_them() {
        let cases: Vec<(&str, Vec<Parsed>)> = vec![
            (
                "payload={{payload}}",
                vec![text("payload="), value("payload", true)],
            ),
            (
                "{{ a.b }}{{{c}}}{{& d }}",
                vec![value("a.b", true), value("c", false), value("d", false)],
            ),
            ("a{{! a comment }}b", vec![text("ab")]),
            (
                "{{=<% %>=}}<% a %>{{b}}",
                vec![value("a", true), text("{{b}}")],
            ),
            (
                "{{#a}}x{{/a}}{{^a}}y{{/a}}",
                vec![
                    section("a", false, 2),
                    text("x"),
                    section("a", true, 4),
                    text("y"),
                ],
            ),
            // Standalone tags take their line with them.
            (
                "{{#a}}\n  x\n  {{/a}}\n",
                vec![section("a", false, 2), text("  x\n")],
            ),
            ("  {{! c }}  \r\nx", vec![text("x")]),
            // A value makes a line not standalone.
            (
                " {{#a}} {{b}}\n{{/a}}",
                vec![
                    text(" "),
                    section("a", false, 5),
                    text(" "),
                    value("b", true),
                    text("\n"),
                ],
            ),
            ("{{> partial}}", vec![]),
            (
                "{{#a}}x{{/a}}y",
                vec![section("a", false, 2), text("x"), text("y")],
            ),
            ("", vec![]),
        ];
        for (template, expect) in cases {
            assert_eq!(parse(template, 16), Ok(expect), "{template:?}");
        }
    }

    #[test]
    fn errors_as_mustache_js_words_them() {
        for (template, message) in [
            ("payload={{payload", "Unclosed tag at 17"),
            ("{{#a}}{{/b}}", "Unclosed section \"a\" at 6"),
            ("{{/a}}", "Unopened section \"a\" at 0"),
            ("{{#a}}é", "Unclosed section \"a\" at 7"),
            ("{{=<%=}}", "Invalid tags: <%"),
            ("{{{a}}", "Unclosed tag at 6"),
            (
                "{{#a}}{{#b}}{{/b}}{{/a}}",
                "sections nest deeper than 1 levels",
            ),
        ] {
            let result = parse(template, 1).map_err(|error| error.message);
            assert_eq!(result, Err(message.to_string()), "{template:?}");
        }
    }
}
