//! `{name}` placeholders in a command's arguments, paths and environment
//! values. A placeholder is replaced inside the one string it is written
//! in, and that string stays one argument whatever the value holds: no
//! shell ever sees it, nothing is split on spaces, quotes or `;`. `{{`
//! and `}}` stand for literal braces.
//!
//! Hand-rolled: the syntax is two escapes and one delimiter pair, smaller
//! than any templating crate's configuration of it.

use std::fmt::Write as _;

/// The placeholder names in `template`, in order (repeats included).
pub(super) fn names(template: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    walk(template, |piece| {
        if let Piece::Name(n) = piece {
            out.push(n.to_string());
        }
    })?;
    Ok(out)
}

/// `template` with every placeholder replaced by `value(name)`; a name
/// without a value is an error naming it.
pub(crate) fn render(
    template: &str,
    value: impl Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut missing = None;
    walk(template, |piece| match piece {
        Piece::Text(t) => out.push_str(t),
        Piece::Brace(c) => out.push(c),
        Piece::Name(n) => match value(n) {
            Some(v) => out.push_str(&v),
            None => {
                missing.get_or_insert_with(|| n.to_string());
            }
        },
    })?;
    match missing {
        Some(name) => Err(format!("no value for the placeholder {{{name}}}")),
        None => Ok(out),
    }
}

/// `{a}, {b} and {c}` for a message.
pub(super) fn list(names: &[&str]) -> String {
    let mut out = String::new();
    for (i, n) in names.iter().enumerate() {
        let sep = match i {
            0 => "",
            _ if i + 1 == names.len() => " and ",
            _ => ", ",
        };
        let _ = write!(out, "{sep}{{{n}}}");
    }
    out
}

enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Name(&'a str),
}

fn walk<'a>(template: &'a str, mut each: impl FnMut(Piece<'a>)) -> Result<(), String> {
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        each(Piece::Text(&rest[..i]));
        let brace = rest.as_bytes()[i];
        let after = &rest[i + 1..];
        if after.as_bytes().first() == Some(&brace) {
            each(Piece::Brace(brace as char));
            rest = &after[1..];
            continue;
        }
        if brace == b'}' {
            return Err(format!(
                "`}}` without a `{{` in `{template}` (write `}}}}` for a literal brace)"
            ));
        }
        let end = after
            .find(['{', '}'])
            .filter(|&j| after.as_bytes()[j] == b'}');
        let Some(end) = end else {
            return Err(format!(
                "`{{` is not closed in `{template}` (write `{{{{` for a literal brace)"
            ));
        };
        let name = &after[..end];
        if name.trim().is_empty() || name.trim() != name {
            return Err(format!("`{{{name}}}` in `{template}` names no placeholder"));
        }
        each(Piece::Name(name));
        rest = &after[end + 1..];
    }
    each(Piece::Text(rest));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> Option<String> {
        match name {
            "size" => Some("1000".into()),
            "evil" => Some("a b; rm -rf / $(touch x) `id` {size}".into()),
            _ => None,
        }
    }

    #[test]
    fn placeholders_are_replaced_inside_their_string_only() {
        assert_eq!(render("-n={size}", values).unwrap(), "-n=1000");
        assert_eq!(render("{size}{size}", values).unwrap(), "10001000");
        // A value is inserted as it is: nothing in it is read again.
        assert_eq!(
            render("{evil}", values).unwrap(),
            "a b; rm -rf / $(touch x) `id` {size}"
        );
        assert_eq!(render("{{size}} }}", values).unwrap(), "{size} }");
        assert_eq!(names("x{a}y{b}{{c}}{a}").unwrap(), ["a", "b", "a"]);
    }

    #[test]
    fn malformed_templates_and_unknown_names_are_errors() {
        assert!(render("{size", values)
            .unwrap_err()
            .contains("is not closed"));
        assert!(render("size}", values)
            .unwrap_err()
            .contains("without a `{`"));
        assert!(render("{}", values)
            .unwrap_err()
            .contains("names no placeholder"));
        assert!(render("{ size}", values).is_err());
        assert!(render("{a{b}", values)
            .unwrap_err()
            .contains("is not closed"));
        assert_eq!(
            render("{colour}", values).unwrap_err(),
            "no value for the placeholder {colour}"
        );
        assert_eq!(list(&["a", "b", "c"]), "{a}, {b} and {c}");
    }
}
