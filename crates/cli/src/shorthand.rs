//! The AWS CLI's shorthand syntax: `Key=Value,Key2=[a,b],Nested={K=V}` and trailing list
//! items (`Key=k,Values=a,b`).

/// A shorthand value before it meets the member's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    Str(String),
    List(Vec<Raw>),
    Obj(Vec<(String, Raw)>),
}

struct Parser {
    chars: Vec<char>,
    i: usize,
}

pub fn parse(text: &str) -> Result<Vec<(String, Raw)>, String> {
    let mut p = Parser {
        chars: text.chars().collect(),
        i: 0,
    };
    let out = p.object(None)?;
    if p.i < p.chars.len() {
        return Err(format!(
            "unexpected '{}' in shorthand: {text}",
            p.chars[p.i]
        ));
    }
    Ok(out)
}

/// Splits a plain comma-separated list (`a,b,c`), honouring quotes and brackets.
pub fn list(text: &str) -> Result<Vec<Raw>, String> {
    let mut p = Parser {
        chars: text.chars().collect(),
        i: 0,
    };
    let mut items = vec![p.value(None)?];
    while p.eat(',') {
        items.push(p.value(None)?);
    }
    Ok(items)
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Does the item starting here contain `=` before its end?
    fn item_has_key(&self, close: Option<char>) -> bool {
        let mut depth = 0;
        let mut quote = None;
        for &c in &self.chars[self.i..] {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '[' | '{') => depth += 1,
                (None, ']' | '}') if depth > 0 => depth -= 1,
                (None, c) if depth == 0 && (c == ',' || Some(c) == close) => return false,
                (None, '=') if depth == 0 => return true,
                _ => {}
            }
        }
        false
    }

    fn object(&mut self, close: Option<char>) -> Result<Vec<(String, Raw)>, String> {
        let mut out: Vec<(String, Raw)> = Vec::new();
        loop {
            let key: String = self
                .take_while(|c| c != '=' && c != ',' && Some(c) != close)
                .trim()
                .to_string();
            if !self.eat('=') || key.is_empty() {
                return Err(format!("expected Key=Value in shorthand near '{key}'"));
            }
            let value = self.value(close)?;
            out.push((key, value));
            loop {
                if !self.eat(',') {
                    return Ok(out);
                }
                if self.item_has_key(close) {
                    break;
                }
                // An item without `=` continues the previous key's list.
                let more = self.value(close)?;
                let Some(last) = out.last_mut() else {
                    return Err("expected Key=Value in shorthand".into());
                };
                last.1 = match std::mem::replace(&mut last.1, Raw::List(Vec::new())) {
                    Raw::List(mut items) => {
                        items.push(more);
                        Raw::List(items)
                    }
                    single => Raw::List(vec![single, more]),
                };
            }
        }
    }

    fn value(&mut self, close: Option<char>) -> Result<Raw, String> {
        match self.peek() {
            Some('[') => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(']') {
                    loop {
                        items.push(self.value(Some(']'))?);
                        if self.eat(']') {
                            break;
                        }
                        if !self.eat(',') {
                            return Err("expected ',' or ']' in shorthand list".into());
                        }
                    }
                }
                Ok(Raw::List(items))
            }
            Some('{') => {
                self.i += 1;
                let obj = if self.eat('}') {
                    Vec::new()
                } else {
                    self.object(Some('}'))?
                };
                if !self.eat('}') && !obj.is_empty() {
                    return Err("expected '}' in shorthand".into());
                }
                Ok(Raw::Obj(obj))
            }
            Some(q @ ('"' | '\'')) => {
                self.i += 1;
                let s = self.take_while(|c| c != q);
                if !self.eat(q) {
                    return Err("unterminated quote in shorthand".into());
                }
                Ok(Raw::Str(s))
            }
            _ => Ok(Raw::Str(
                self.take_while(|c| c != ',' && Some(c) != close && (close.is_some() || c != ']'))
                    .trim()
                    .to_string(),
            )),
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let start = self.i;
        while self.peek().is_some_and(&keep) {
            self.i += 1;
        }
        self.chars[start..self.i].iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Raw {
        Raw::Str(v.into())
    }

    #[test]
    fn pairs_lists_and_nesting() {
        assert_eq!(
            parse("Key=env,Value=prod").unwrap(),
            vec![("Key".into(), s("env")), ("Value".into(), s("prod"))]
        );
        assert_eq!(
            parse("Key=name,Values=a,b").unwrap(),
            vec![
                ("Key".into(), s("name")),
                ("Values".into(), Raw::List(vec![s("a"), s("b")]))
            ]
        );
        assert_eq!(
            parse("Variables={A=1,B=two}").unwrap(),
            vec![(
                "Variables".into(),
                Raw::Obj(vec![("A".into(), s("1")), ("B".into(), s("two"))])
            )]
        );
        assert_eq!(
            parse("Values=[x,y],Key=\"a,b\"").unwrap(),
            vec![
                ("Values".into(), Raw::List(vec![s("x"), s("y")])),
                ("Key".into(), s("a,b"))
            ]
        );
        assert_eq!(
            parse("AutomaticallyAfterDays=30").unwrap(),
            vec![("AutomaticallyAfterDays".into(), s("30"))]
        );
        assert_eq!(list("a,b,'c,d'").unwrap(), vec![s("a"), s("b"), s("c,d")]);
    }

    #[test]
    fn errors() {
        assert!(parse("novalue").is_err());
        assert!(parse("A=[1,2").is_err());
        assert!(parse("A='open").is_err());
    }
}
