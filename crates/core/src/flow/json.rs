//! Flow JSON validation with positions, as Meta answers an asset upload: each error names
//! the line and column range of the offending node in the uploaded text.
//!
//! Two passes: `serde_json` finds syntax errors (and gives their line and column); a small
//! span-aware reader ([`parse`]) then builds a tree whose every node knows where it starts and
//! ends, and [`validate`] walks it. The reader runs on text `serde_json` accepted, so it only
//! has to be right, not forgiving.
//!
//! What is checked (Meta's builder checks more; these are the rules a flow cannot run
//! without): the `version` among [`SUPPORTED_VERSIONS`]; `screens` present and non-empty;
//! each screen's `id` and `layout` (`SingleColumnLayout` with `children`); duplicate screen
//! ids; component `type`s Meta knows ([`COMPONENTS`]) and their required properties;
//! `navigate` actions to screens that exist; a `routing_model` naming only known screens;
//! a data-exchange flow (`data_api_version`) with a `routing_model`; at least one terminal
//! screen, every terminal screen with a `Footer` whose action is `complete`; and every screen
//! able to reach a terminal screen (a cycle with no way out is refused).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

/// Flow JSON versions Meta accepts for new uploads (its changelog; older ones expired).
pub const SUPPORTED_VERSIONS: &[&str] = &[
    "3.0", "3.1", "4.0", "5.0", "5.1", "6.0", "6.1", "6.2", "6.3", "7.0", "7.1", "7.2", "7.3",
];

/// `data_api_version`s Meta accepts.
pub const DATA_API_VERSIONS: &[&str] = &["3.0"];

/// Component types, each with the properties it cannot go without.
pub const COMPONENTS: &[(&str, &[&str])] = &[
    ("TextHeading", &["text"]),
    ("TextSubheading", &["text"]),
    ("TextBody", &["text"]),
    ("TextCaption", &["text"]),
    ("RichText", &["text"]),
    ("TextInput", &["name", "label"]),
    ("TextArea", &["name", "label"]),
    ("CheckboxGroup", &["name", "data-source"]),
    ("RadioButtonsGroup", &["name", "data-source"]),
    ("Dropdown", &["name", "label", "data-source"]),
    ("ChipsSelector", &["name", "label", "data-source"]),
    ("DatePicker", &["name", "label"]),
    ("CalendarPicker", &["name", "label"]),
    ("OptIn", &["name", "label"]),
    ("Footer", &["label", "on-click-action"]),
    ("EmbeddedLink", &["text", "on-click-action"]),
    ("Image", &["src"]),
    ("ImageCarousel", &["images"]),
    ("PhotoPicker", &["name", "label"]),
    ("DocumentPicker", &["name", "label"]),
    ("NavigationList", &["name", "list-items"]),
    ("Form", &["name", "children"]),
    ("If", &["condition", "then"]),
    ("Switch", &["value", "cases"]),
];

/// Properties holding an action.
const ACTION_KEYS: &[&str] = &[
    "on-click-action",
    "on-select-action",
    "on-unselect-action",
    "on-change-action",
];

/// Action names a component may take.
const ACTIONS: &[&str] = &[
    "navigate",
    "complete",
    "data_exchange",
    "update_data",
    "open_url",
];

/// Where a node sits in the text: 1-based lines and columns (columns count characters),
/// both ends inclusive of the node's first and last character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Span {
    pub line_start: u32,
    pub line_end: u32,
    pub column_start: u32,
    pub column_end: u32,
}

/// A further place an error concerns (the first of two duplicate ids…), with its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    #[serde(flatten)]
    pub span: Span,
    pub path: String,
}

/// One validation error, in Meta's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowJsonError {
    /// Meta-style error name: `INVALID_JSON`, `INVALID_PROPERTY_VALUE`,
    /// `MISSING_REQUIRED_PROPERTY`, `UNKNOWN_COMPONENT`, `DUPLICATE_SCREEN_ID`,
    /// `UNKNOWN_SCREEN`, `INVALID_ROUTING_MODEL`, `MISSING_COMPLETE_ACTION`,
    /// `NO_TERMINAL_SCREEN`, `UNSUPPORTED_VERSION`.
    pub error: String,
    /// `JSON_SYNTAX_ERROR` or `FLOW_JSON_ERROR`.
    pub error_type: String,
    pub message: String,
    #[serde(flatten)]
    pub span: Span,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pointers: Vec<Pointer>,
}

impl FlowJsonError {
    fn flow(error: &str, message: impl Into<String>, span: Span) -> Self {
        Self {
            error: error.to_owned(),
            error_type: "FLOW_JSON_ERROR".to_owned(),
            message: message.into(),
            span,
            pointers: Vec::new(),
        }
    }
}

/// A JSON value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// A JSON value whose children know their positions.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, n)| n),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_object(&self) -> bool {
        matches!(self.value, Value::Object(_))
    }

    fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// Reads JSON text into [`Node`]s. `None` when the text is not JSON (run `serde_json`
/// first for the error's position).
pub fn parse(text: &str) -> Option<Node> {
    let mut r = Reader {
        chars: text.char_indices().collect(),
        text,
        i: 0,
        line: 1,
        col: 1,
    };
    let node = r.value()?;
    r.ws();
    (r.i == r.chars.len()).then_some(node)
}

struct Reader<'a> {
    chars: Vec<(usize, char)>,
    text: &'a str,
    i: usize,
    line: u32,
    col: u32,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).map(|&(_, c)| c)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    /// The position of the character just read.
    fn last(&self) -> (u32, u32) {
        (self.line, self.col.saturating_sub(1).max(1))
    }

    fn value(&mut self) -> Option<Node> {
        self.ws();
        let (line_start, column_start) = (self.line, self.col);
        let value = match self.peek()? {
            '{' => {
                self.bump();
                let mut members = Vec::new();
                self.ws();
                if self.peek() == Some('}') {
                    self.bump();
                } else {
                    loop {
                        self.ws();
                        let key = self.string()?;
                        self.ws();
                        (self.bump()? == ':').then_some(())?;
                        let node = self.value()?;
                        members.push((key, node));
                        self.ws();
                        match self.bump()? {
                            ',' => continue,
                            '}' => break,
                            _ => return None,
                        }
                    }
                }
                Value::Object(members)
            }
            '[' => {
                self.bump();
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(']') {
                    self.bump();
                } else {
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.bump()? {
                            ',' => continue,
                            ']' => break,
                            _ => return None,
                        }
                    }
                }
                Value::Array(items)
            }
            '"' => Value::String(self.string()?),
            't' | 'f' | 'n' => {
                let mut word = String::new();
                while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    word.push(self.bump()?);
                }
                match word.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => return None,
                }
            }
            _ => {
                let mut n = String::new();
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || "+-.eE".contains(c))
                {
                    n.push(self.bump()?);
                }
                if n.is_empty() {
                    return None;
                }
                Value::Number(n)
            }
        };
        let (line_end, column_end) = self.last();
        Some(Node {
            value,
            span: Span {
                line_start,
                line_end,
                column_start,
                column_end,
            },
        })
    }

    /// A string literal, decoded by `serde_json` (escapes and all).
    fn string(&mut self) -> Option<String> {
        let start = self.chars.get(self.i)?.0;
        (self.bump()? == '"').then_some(())?;
        loop {
            match self.bump()? {
                '\\' => {
                    self.bump()?;
                }
                '"' => break,
                _ => {}
            }
        }
        let end = self.chars.get(self.i).map_or(self.text.len(), |&(b, _)| b);
        serde_json::from_str(&self.text[start..end]).ok()
    }
}

/// Everything wrong with `text` as a Flow JSON, in document order (empty: valid).
pub fn validate(text: &str) -> Vec<FlowJsonError> {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
        let (line, column) = (e.line().max(1) as u32, e.column().max(1) as u32);
        return vec![FlowJsonError {
            error: "INVALID_JSON".to_owned(),
            error_type: "JSON_SYNTAX_ERROR".to_owned(),
            message: format!("The Flow JSON is not valid JSON: {e}"),
            span: Span {
                line_start: line,
                line_end: line,
                column_start: column,
                column_end: column,
            },
            pointers: Vec::new(),
        }];
    }
    let Some(root) = parse(text) else {
        return vec![FlowJsonError::flow(
            "INVALID_JSON",
            "The Flow JSON could not be read",
            Span::default(),
        )];
    };
    let mut v = Validator::default();
    v.root(&root);
    v.errors
}

#[derive(Default)]
struct Validator {
    errors: Vec<FlowJsonError>,
}

/// A screen as the routing checks see it.
struct ScreenInfo<'a> {
    node: &'a Node,
    terminal: bool,
    /// Screens its `navigate` actions go to, with the node naming each.
    navigates: Vec<(&'a str, &'a Node)>,
    /// Its `complete` actions on a Footer.
    footer_completes: bool,
}

impl Validator {
    fn push(&mut self, error: &str, message: impl Into<String>, span: Span) {
        self.errors.push(FlowJsonError::flow(error, message, span));
    }

    fn missing(&mut self, what: &str, property: &str, parent: &Node) {
        self.push(
            "MISSING_REQUIRED_PROPERTY",
            format!("{what} is missing the required property `{property}`."),
            parent.span,
        );
    }

    fn root(&mut self, root: &Node) {
        if !root.is_object() {
            self.push(
                "INVALID_PROPERTY_VALUE",
                "The Flow JSON must be an object.",
                root.span,
            );
            return;
        }
        match root.get("version") {
            None => self.missing("The Flow JSON", "version", root),
            Some(v) => match v.as_str() {
                Some(s) if SUPPORTED_VERSIONS.contains(&s) => {}
                _ => self.push(
                    "UNSUPPORTED_VERSION",
                    format!(
                        "The Flow JSON version is not supported. Supported versions: {}.",
                        SUPPORTED_VERSIONS.join(", ")
                    ),
                    v.span,
                ),
            },
        }
        let data_api = root.get("data_api_version");
        if let Some(d) = data_api
            && !d.as_str().is_some_and(|s| DATA_API_VERSIONS.contains(&s))
        {
            self.push(
                "INVALID_PROPERTY_VALUE",
                format!(
                    "data_api_version must be one of: {}.",
                    DATA_API_VERSIONS.join(", ")
                ),
                d.span,
            );
        }
        let routing = root.get("routing_model");
        if data_api.is_some() && routing.is_none() {
            self.missing(
                "A Flow JSON with data_api_version (a data-exchange flow)",
                "routing_model",
                root,
            );
        }
        let Some(screens) = root.get("screens") else {
            self.missing("The Flow JSON", "screens", root);
            return;
        };
        let Some(list) = screens.as_array().filter(|l| !l.is_empty()) else {
            self.push(
                "INVALID_PROPERTY_VALUE",
                "`screens` must be a non-empty array of screens.",
                screens.span,
            );
            return;
        };
        let mut infos: Vec<(String, ScreenInfo<'_>)> = Vec::new();
        let mut seen: HashMap<String, &Node> = HashMap::new();
        for (i, screen) in list.iter().enumerate() {
            let Some(info) = self.screen(screen) else {
                continue;
            };
            let Some(id_node) = screen.get("id") else {
                continue;
            };
            let id = id_node.as_str().unwrap_or_default().to_owned();
            if let Some(first) = seen.get(&id) {
                let mut e = FlowJsonError::flow(
                    "DUPLICATE_SCREEN_ID",
                    format!("Screen id `{id}` is used by more than one screen."),
                    id_node.span,
                );
                e.pointers.push(Pointer {
                    span: first.span,
                    path: format!("screens[{}].id", position(list, first)),
                });
                self.errors.push(e);
                continue;
            }
            let _ = i;
            seen.insert(id.clone(), id_node);
            infos.push((id, info));
        }
        let ids: BTreeSet<&str> = infos.iter().map(|(id, _)| id.as_str()).collect();
        for (_, info) in &infos {
            for (target, node) in &info.navigates {
                if !ids.contains(target) {
                    self.push(
                        "UNKNOWN_SCREEN",
                        format!(
                            "The navigate action goes to screen `{target}`, which does not exist."
                        ),
                        node.span,
                    );
                }
            }
        }
        let edges = match routing {
            Some(r) => self.routing_model(r, &ids),
            None => infos
                .iter()
                .map(|(id, info)| {
                    (
                        id.clone(),
                        info.navigates
                            .iter()
                            .map(|(t, _)| (*t).to_owned())
                            .collect(),
                    )
                })
                .collect(),
        };
        let terminals: BTreeSet<&str> = infos
            .iter()
            .filter(|(_, i)| i.terminal)
            .map(|(id, _)| id.as_str())
            .collect();
        for (id, info) in &infos {
            if info.terminal && !info.footer_completes {
                self.push(
                    "MISSING_COMPLETE_ACTION",
                    format!(
                        "Terminal screen `{id}` needs a Footer whose on-click-action is `complete`."
                    ),
                    info.node.span,
                );
            }
        }
        if infos.is_empty() {
            return;
        }
        if terminals.is_empty() {
            self.push(
                "NO_TERMINAL_SCREEN",
                "The flow has no terminal screen (`\"terminal\": true`): it can never end.",
                screens.span,
            );
            return;
        }
        for (id, info) in &infos {
            if !reaches_terminal(id, &edges, &terminals) {
                self.push(
                    "NO_TERMINAL_SCREEN",
                    format!(
                        "Screen `{id}` cannot reach a terminal screen: its routes loop without an end."
                    ),
                    info.node.span,
                );
            }
        }
    }

    /// Checks `routing_model`; answers its edges (known screens only).
    fn routing_model(&mut self, r: &Node, ids: &BTreeSet<&str>) -> BTreeMap<String, Vec<String>> {
        let mut edges = BTreeMap::new();
        let Value::Object(members) = &r.value else {
            self.push(
                "INVALID_ROUTING_MODEL",
                "routing_model must be an object from screen id to the screens it leads to.",
                r.span,
            );
            return edges;
        };
        for (from, targets) in members {
            if !ids.contains(from.as_str()) {
                self.push(
                    "INVALID_ROUTING_MODEL",
                    format!("routing_model names screen `{from}`, which does not exist."),
                    targets.span,
                );
                continue;
            }
            let Some(list) = targets.as_array() else {
                self.push(
                    "INVALID_ROUTING_MODEL",
                    format!("routing_model.{from} must be an array of screen ids."),
                    targets.span,
                );
                continue;
            };
            let mut to = Vec::new();
            for t in list {
                match t.as_str() {
                    Some(s) if ids.contains(s) => to.push(s.to_owned()),
                    _ => self.push(
                        "INVALID_ROUTING_MODEL",
                        format!(
                            "routing_model.{from} leads to `{}`, which is not a screen.",
                            t.as_str().unwrap_or("?")
                        ),
                        t.span,
                    ),
                }
            }
            edges.insert(from.clone(), to);
        }
        edges
    }

    /// Checks one screen; `None` when it is not even an object with an id.
    fn screen<'a>(&mut self, screen: &'a Node) -> Option<ScreenInfo<'a>> {
        if !screen.is_object() {
            self.push(
                "INVALID_PROPERTY_VALUE",
                "A screen must be an object.",
                screen.span,
            );
            return None;
        }
        let mut ok = true;
        match screen.get("id") {
            None => {
                self.missing("A screen", "id", screen);
                ok = false;
            }
            Some(id) if id.as_str().is_none_or(str::is_empty) => {
                self.push(
                    "INVALID_PROPERTY_VALUE",
                    "A screen's id must be a non-empty string.",
                    id.span,
                );
                ok = false;
            }
            Some(_) => {}
        }
        let terminal = match screen.get("terminal") {
            None => false,
            Some(t) => match t.as_bool() {
                Some(b) => b,
                None => {
                    self.push(
                        "INVALID_PROPERTY_VALUE",
                        "`terminal` must be true or false.",
                        t.span,
                    );
                    false
                }
            },
        };
        let mut info = ScreenInfo {
            node: screen,
            terminal,
            navigates: Vec::new(),
            footer_completes: false,
        };
        match screen.get("layout") {
            None => self.missing("A screen", "layout", screen),
            Some(layout) if !layout.is_object() => self.push(
                "INVALID_PROPERTY_VALUE",
                "A screen's layout must be an object.",
                layout.span,
            ),
            Some(layout) => {
                match layout.get("type") {
                    None => self.missing("A layout", "type", layout),
                    Some(t) if t.as_str() != Some("SingleColumnLayout") => self.push(
                        "INVALID_PROPERTY_VALUE",
                        "The layout type must be `SingleColumnLayout`.",
                        t.span,
                    ),
                    Some(_) => {}
                }
                match layout.get("children") {
                    None => self.missing("A layout", "children", layout),
                    Some(children) => self.components(children, &mut info),
                }
            }
        }
        ok.then_some(info)
    }

    fn components<'a>(&mut self, children: &'a Node, info: &mut ScreenInfo<'a>) {
        let Some(list) = children.as_array() else {
            self.push(
                "INVALID_PROPERTY_VALUE",
                "`children` must be an array of components.",
                children.span,
            );
            return;
        };
        for c in list {
            self.component(c, info);
        }
    }

    fn component<'a>(&mut self, c: &'a Node, info: &mut ScreenInfo<'a>) {
        if !c.is_object() {
            self.push(
                "INVALID_PROPERTY_VALUE",
                "A component must be an object.",
                c.span,
            );
            return;
        }
        let Some(type_node) = c.get("type") else {
            self.missing("A component", "type", c);
            return;
        };
        let Some((kind, required)) = type_node
            .as_str()
            .and_then(|t| COMPONENTS.iter().find(|(name, _)| *name == t))
        else {
            self.push(
                "UNKNOWN_COMPONENT",
                format!(
                    "Unknown component type `{}`.",
                    type_node.as_str().unwrap_or("?")
                ),
                type_node.span,
            );
            return;
        };
        for p in *required {
            if c.get(p).is_none() {
                self.missing(&format!("The {kind} component"), p, c);
            }
        }
        for key in ACTION_KEYS {
            if let Some(action) = c.get(key) {
                self.action(action, *kind == "Footer", info);
            }
        }
        match *kind {
            "Form" => {
                if let Some(children) = c.get("children") {
                    self.components(children, info);
                }
            }
            "If" => {
                for branch in ["then", "else"] {
                    if let Some(children) = c.get(branch) {
                        self.components(children, info);
                    }
                }
            }
            "Switch" => {
                if let Some(Node {
                    value: Value::Object(cases),
                    ..
                }) = c.get("cases")
                {
                    for (_, children) in cases {
                        self.components(children, info);
                    }
                }
            }
            "NavigationList" => {
                if let Some(items) = c.get("list-items").and_then(Node::as_array) {
                    for item in items {
                        if let Some(action) = item.get("on-click-action") {
                            self.action(action, false, info);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn action<'a>(&mut self, action: &'a Node, on_footer: bool, info: &mut ScreenInfo<'a>) {
        let Some(name) = action.get("name") else {
            self.missing("An action", "name", action);
            return;
        };
        match name.as_str() {
            Some("navigate") => match action.get("next").and_then(|n| n.get("name")) {
                Some(target) => match target.as_str() {
                    Some(t) => info.navigates.push((t, target)),
                    None => self.push(
                        "INVALID_PROPERTY_VALUE",
                        "next.name must be a screen id.",
                        target.span,
                    ),
                },
                None => self.missing("A navigate action", "next.name", action),
            },
            Some("complete") => info.footer_completes |= on_footer,
            Some(n) if ACTIONS.contains(&n) => {}
            _ => self.push(
                "INVALID_PROPERTY_VALUE",
                format!("Unknown action name; known: {}.", ACTIONS.join(", ")),
                name.span,
            ),
        }
    }
}

/// The index of `node` in `list`.
fn position(list: &[Node], node: &Node) -> usize {
    list.iter()
        .position(|s| s.get("id").is_some_and(|id| std::ptr::eq(id, node)))
        .unwrap_or(0)
}

fn reaches_terminal(
    from: &str,
    edges: &BTreeMap<String, Vec<String>>,
    terminals: &BTreeSet<&str>,
) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(s) = stack.pop() {
        if terminals.contains(s.as_str()) {
            return true;
        }
        if !seen.insert(s.clone()) {
            continue;
        }
        stack.extend(edges.get(&s).into_iter().flatten().cloned());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{
  "version": "6.0",
  "screens": [
    {
      "id": "WELCOME",
      "title": "Welcome",
      "layout": {
        "type": "SingleColumnLayout",
        "children": [
          {"type": "TextHeading", "text": "Hi"},
          {"type": "Footer", "label": "Next",
           "on-click-action": {"name": "navigate", "next": {"type": "screen", "name": "DONE"}}}
        ]
      }
    },
    {
      "id": "DONE",
      "terminal": true,
      "layout": {
        "type": "SingleColumnLayout",
        "children": [
          {"type": "TextInput", "name": "email", "label": "Email", "required": true},
          {"type": "Footer", "label": "Send", "on-click-action": {"name": "complete", "payload": {}}}
        ]
      }
    }
  ]
}"#;

    fn errors(text: &str) -> Vec<(String, u32, u32)> {
        validate(text)
            .into_iter()
            .map(|e| (e.error, e.span.line_start, e.span.column_start))
            .collect()
    }

    #[test]
    fn a_valid_flow_has_no_errors() {
        assert_eq!(validate(OK), vec![]);
    }

    #[test]
    fn spans_are_lines_and_columns() {
        let n = parse("{\n  \"a\": [1, \"x\"]\n}").unwrap();
        let a = n.get("a").unwrap();
        assert_eq!(
            a.span,
            Span {
                line_start: 2,
                line_end: 2,
                column_start: 8,
                column_end: 15
            }
        );
        assert_eq!(n.span.line_end, 3);
        let x = &a.as_array().unwrap()[1];
        assert_eq!((x.span.column_start, x.span.column_end), (12, 14));
        assert_eq!(
            parse(r#"{"k\"ey": "\u00e9"}"#)
                .unwrap()
                .get("k\"ey")
                .unwrap()
                .as_str(),
            Some("é")
        );
    }

    #[test]
    fn syntax_errors_name_their_position() {
        let e = validate("{\n  \"version\": \"6.0\",\n  oops\n}");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].error_type, "JSON_SYNTAX_ERROR");
        assert_eq!((e[0].span.line_start, e[0].span.column_start), (3, 3));
    }

    #[test]
    fn semantic_errors_point_at_the_node() {
        let bad = OK.replace("\"6.0\"", "\"1.0\"");
        assert_eq!(errors(&bad), [("UNSUPPORTED_VERSION".into(), 2, 14)]);
        let bad = OK.replace("TextHeading", "Marquee");
        assert_eq!(errors(&bad), [("UNKNOWN_COMPONENT".into(), 10, 20)]);
        let bad = OK.replace("\"name\": \"DONE\"", "\"name\": \"NOPE\"");
        let e = errors(&bad);
        assert_eq!(e[0], ("UNKNOWN_SCREEN".into(), 12, 87));
        let bad = OK.replace("\"id\": \"DONE\"", "\"id\": \"WELCOME\"");
        let e = validate(&bad);
        assert_eq!(e[0].error, "DUPLICATE_SCREEN_ID");
        assert_eq!(e[0].span.line_start, 17);
        assert_eq!(e[0].pointers[0].span.line_start, 5);
        assert_eq!(e[0].pointers[0].path, "screens[0].id");
    }

    #[test]
    fn missing_properties_and_terminal_rules() {
        let e = errors(r#"{"version": "6.0"}"#);
        assert_eq!(e, [("MISSING_REQUIRED_PROPERTY".into(), 1, 1)]);
        let bad = OK.replace(
            r#"{"type": "Footer", "label": "Send", "on-click-action": {"name": "complete", "payload": {}}}"#,
            r#"{"type": "TextBody", "text": "bye"}"#,
        );
        let e = errors(&bad);
        assert!(
            e.iter()
                .any(|(k, l, _)| k == "MISSING_COMPLETE_ACTION" && *l == 16),
            "{e:?}"
        );
        let bad = OK.replace("\"terminal\": true", "\"terminal\": false");
        assert!(
            errors(&bad)
                .iter()
                .any(|(k, _, _)| k == "NO_TERMINAL_SCREEN")
        );
        let bad = OK.replace("\"id\": \"WELCOME\",", "");
        assert!(
            errors(&bad)
                .iter()
                .any(|(k, l, _)| k == "MISSING_REQUIRED_PROPERTY" && *l == 4)
        );
    }

    #[test]
    fn routing_models_and_cycles() {
        let data = OK.replace(
            "\"version\": \"6.0\",",
            "\"version\": \"6.0\", \"data_api_version\": \"3.0\",",
        );
        assert_eq!(errors(&data)[0].0, "MISSING_REQUIRED_PROPERTY");
        let routed = OK.replace(
            "\"version\": \"6.0\",",
            "\"version\": \"6.0\", \"data_api_version\": \"3.0\", \"routing_model\": {\"WELCOME\": [\"DONE\", \"ELSEWHERE\"], \"DONE\": []},",
        );
        let e = errors(&routed);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, "INVALID_ROUTING_MODEL");
        let cycle = OK.replace(
            "\"version\": \"6.0\",",
            "\"version\": \"6.0\", \"data_api_version\": \"3.0\", \"routing_model\": {\"WELCOME\": [\"WELCOME\"], \"DONE\": []},",
        );
        let e = errors(&cycle);
        assert_eq!(e, [("NO_TERMINAL_SCREEN".into(), 4, 5)]);
    }
}
