//! Imports of a CSV or XLSX file into an account's contact book: how the header row maps
//! columns to a contact's fields ([`ImportMapping`]), how each row is parsed
//! ([`ImportMapping::parse_row`]) and how a parsed row is upserted onto the card that has the
//! number, if any ([`upsert`]). The readers of the two formats and the job that runs them
//! are the service's; both backends store the result.
//!
//! # Columns
//! A header is matched ignoring case, spaces and punctuation:
//! - `phone` (also `mobile`, `number`, `phone_number`, `wa_id`, `whatsapp`, `msisdn`): the
//!   number, required, in international format (`+44 7700 900123`, `447700900123`);
//! - `country_code` (also `country`, `calling_code`): a calling code put before numbers
//!   written without `+` or `00` (a leading trunk `0` is dropped), as seed 001's `Country`;
//! - `name` (also `full_name`, `contact_name`);
//! - `tags` (also `tag`, `labels`): tag names separated by `,`, `;` or `|`; each must exist;
//! - `opted_in` (also `opt_in`, `optin`) and `blocked`: `true`/`false`, `yes`/`no`, `1`/`0`;
//! - `timezone` (also `time_zone`, `tz`): an IANA name such as `Asia/Kolkata`;
//! - the read-only columns an export writes (`id`, `profile_name`, `country_iso`,
//!   `created_at`, `updated_at`, `last_active_at`, `opt_in_source`, `opt_in_at`) are
//!   skipped, so an export imports back;
//! - every other column is a custom attribute whose key is the header in lowercase with
//!   other characters as `_` (`Favourite Colour` → `favourite_colour`).
//!
//! An explicit mapping (header → `phone`, `country_code`, `name`, `tags`, `opted_in`,
//! `blocked`, `timezone`, `attribute:<key>` or `skip`) overrides the guess per column.
//!
//! # Upsert
//! A row whose number has no card creates one; otherwise the card is updated: a non-empty
//! name or timezone replaces it, tags are added (never removed), non-empty attribute cells are set
//! (empty cells change nothing), `opted_in` and `blocked` are set when given. An opt-in set
//! by an import has the source `import`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::card::{
    AttributeKey, Attributes, ContactCard, ContactName, OptIn, OptInSource, TagName, Timezone,
    attribute_value, check_attributes, normalise_tags,
};
use crate::Timestamp;
use crate::error::ValidationError;
use crate::ids::{AccountId, ContactImportId};
use crate::phone::PhoneE164;

/// Most columns a file may have.
pub const COLUMNS_MAX: usize = 256;
/// Most characters in one cell (longer cells are a row error, not a memory problem).
pub const CELL_MAX: usize = 16 * 1024;

/// A file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    Csv,
    Xlsx,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Csv => "csv",
            ImportFormat::Xlsx => "xlsx",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(ImportFormat::Csv),
            "xlsx" => Some(ImportFormat::Xlsx),
            _ => None,
        }
    }
}

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportStatus {
    /// Accepted, waiting for a worker.
    Queued,
    /// Rows are being written (resumed from its last committed row after a crash).
    Running,
    /// Every row was read; the bad ones are in the report.
    Completed,
    /// Stopped before the end (the reason says why); the rows written so far stay.
    Failed,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Queued => "queued",
            ImportStatus::Running => "running",
            ImportStatus::Completed => "completed",
            ImportStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => ImportStatus::Queued,
            "running" => ImportStatus::Running,
            "completed" => ImportStatus::Completed,
            "failed" => ImportStatus::Failed,
            _ => return None,
        })
    }

    pub fn is_finished(self) -> bool {
        matches!(self, ImportStatus::Completed | ImportStatus::Failed)
    }
}

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRole {
    Phone,
    CountryCode,
    Name,
    Tags,
    OptedIn,
    Blocked,
    Timezone,
    Attribute(AttributeKey),
    Skip,
}

impl ColumnRole {
    /// `phone`, `country_code`, `name`, `tags`, `opted_in`, `blocked`, `attribute:<key>`,
    /// `skip`.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let t = s.trim();
        Ok(match t {
            "phone" => ColumnRole::Phone,
            "country_code" => ColumnRole::CountryCode,
            "name" => ColumnRole::Name,
            "tags" => ColumnRole::Tags,
            "opted_in" => ColumnRole::OptedIn,
            "blocked" => ColumnRole::Blocked,
            "timezone" => ColumnRole::Timezone,
            "skip" => ColumnRole::Skip,
            other => match other.strip_prefix("attribute:") {
                Some(key) => ColumnRole::Attribute(AttributeKey::parse(key)?),
                None => {
                    return Err(ValidationError::new(
                        "mapping",
                        format!(
                            "`{t}` is not a column role: phone, country_code, name, tags, \
                             opted_in, blocked, timezone, attribute:<key> or skip"
                        ),
                    ));
                }
            },
        })
    }

    pub fn as_string(&self) -> String {
        match self {
            ColumnRole::Phone => "phone".into(),
            ColumnRole::CountryCode => "country_code".into(),
            ColumnRole::Name => "name".into(),
            ColumnRole::Tags => "tags".into(),
            ColumnRole::OptedIn => "opted_in".into(),
            ColumnRole::Blocked => "blocked".into(),
            ColumnRole::Timezone => "timezone".into(),
            ColumnRole::Attribute(k) => format!("attribute:{}", k.as_str()),
            ColumnRole::Skip => "skip".into(),
        }
    }

    /// The role a header suggests (see the module docs).
    pub fn guess(header: &str) -> Result<Self, ValidationError> {
        let key = header_key(header);
        Ok(match key.as_str() {
            "phone" | "mobile" | "number" | "phone_number" | "mobile_number" | "wa_id"
            | "whatsapp" | "whatsapp_number" | "msisdn" => ColumnRole::Phone,
            "country_code" | "country" | "calling_code" => ColumnRole::CountryCode,
            "name" | "full_name" | "contact_name" => ColumnRole::Name,
            "tags" | "tag" | "labels" => ColumnRole::Tags,
            "opted_in" | "opt_in" | "optin" => ColumnRole::OptedIn,
            "blocked" => ColumnRole::Blocked,
            "timezone" | "time_zone" | "tz" => ColumnRole::Timezone,
            "id" | "profile_name" | "country_iso" | "created_at" | "updated_at"
            | "last_active_at" | "opt_in_source" | "opt_in_at" => ColumnRole::Skip,
            _ => ColumnRole::Attribute(AttributeKey::parse(&key).map_err(|_| {
                ValidationError::new(
                    "mapping",
                    format!(
                        "the column `{header}` cannot be an attribute (a key is 1 to 64 of \
                         a-z, 0-9 and _): map it explicitly, or to `skip`"
                    ),
                )
            })?),
        })
    }
}

/// A header as a key: lowercase, runs of anything but `a-z0-9` as one `_`, trimmed of `_`.
pub fn header_key(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for c in header.trim().trim_start_matches('\u{feff}').chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// What the caller said about the file besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Roles by header, overriding the guess.
    pub columns: BTreeMap<String, ColumnRole>,
    /// The calling code for numbers written without one (`91`), when no column gives it.
    pub default_country_code: Option<String>,
}

impl ImportOptions {
    /// The mapping object `{"<header>": "<role>"}` and the default calling code.
    pub fn parse(
        columns: &BTreeMap<String, String>,
        default_country_code: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let columns = columns
            .iter()
            .map(|(h, r)| Ok((h.trim().to_owned(), ColumnRole::parse(r)?)))
            .collect::<Result<_, ValidationError>>()?;
        let default_country_code = default_country_code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                let digits = c.trim_start_matches('+');
                if (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(digits.to_owned())
                } else {
                    Err(ValidationError::new(
                        "default_country_code",
                        "must be a calling code of 1 to 3 digits, like 91 or +44",
                    ))
                }
            })
            .transpose()?;
        Ok(Self {
            columns,
            default_country_code,
        })
    }

    /// As stored: the mapping as strings.
    pub fn columns_as_strings(&self) -> BTreeMap<String, String> {
        self.columns
            .iter()
            .map(|(h, r)| (h.clone(), r.as_string()))
            .collect()
    }
}

/// A header row's columns, each with its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMapping {
    pub headers: Vec<String>,
    pub roles: Vec<ColumnRole>,
    default_country_code: Option<String>,
}

impl ImportMapping {
    /// The mapping of a header row: explicit roles first, then guesses; exactly one phone
    /// column; no two columns for one field or attribute; every explicit header present.
    pub fn new(headers: Vec<String>, options: &ImportOptions) -> Result<Self, ValidationError> {
        let field = "file";
        if headers.iter().all(|h| h.trim().is_empty()) {
            return Err(ValidationError::missing(
                field,
                "the first row must be a header naming the columns (phone, name, tags, …)",
            ));
        }
        if headers.len() > COLUMNS_MAX {
            return Err(ValidationError::out_of_range(
                field,
                format!("a file may have at most {COLUMNS_MAX} columns"),
            ));
        }
        let headers: Vec<String> = headers
            .into_iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_owned())
            .collect();
        for wanted in options.columns.keys() {
            if !headers.iter().any(|h| h == wanted) {
                return Err(ValidationError::new(
                    "mapping",
                    format!(
                        "the mapping names the column `{wanted}`, which the file does not have"
                    ),
                ));
            }
        }
        let mut roles = Vec::with_capacity(headers.len());
        for h in &headers {
            let role = match options.columns.get(h) {
                Some(role) => role.clone(),
                None if h.is_empty() => ColumnRole::Skip,
                None => ColumnRole::guess(h)?,
            };
            if role != ColumnRole::Skip && roles.contains(&role) {
                return Err(ValidationError::new(
                    "mapping",
                    format!(
                        "two columns are `{}` (the second is `{h}`): map one of them to skip",
                        role.as_string()
                    ),
                ));
            }
            roles.push(role);
        }
        if !roles.contains(&ColumnRole::Phone) {
            return Err(ValidationError::missing(
                field,
                "no phone column: name one `phone` (or `mobile`, `number`), or map one to phone",
            ));
        }
        Ok(Self {
            headers,
            roles,
            default_country_code: options.default_country_code.clone(),
        })
    }

    /// Parses one data row (`row` is its number in the file, the header being row 1).
    pub fn parse_row(&self, row: u64, cells: &[Cell<'_>]) -> Result<ImportRow, RowError> {
        let err = |i: usize, reason: String| RowError {
            row,
            column: self.headers.get(i).cloned().unwrap_or_default(),
            reason,
        };
        if cells.len() > self.headers.len()
            && cells[self.headers.len()..]
                .iter()
                .any(|c| !matches!(c, Cell::Text(t) if t.trim().is_empty()))
        {
            return Err(RowError {
                row,
                column: String::new(),
                reason: format!(
                    "the row has {} cells, the header {} columns",
                    cells.len(),
                    self.headers.len()
                ),
            });
        }
        let mut phone = None;
        let mut country = self.default_country_code.clone();
        let mut out = ImportRow {
            row,
            wa_id: None,
            name: None,
            tags: Vec::new(),
            attributes: Attributes::new(),
            opted_in: None,
            blocked: None,
            timezone: None,
        };
        for (i, role) in self.roles.iter().enumerate() {
            let text = match cells.get(i) {
                None => "",
                Some(Cell::Text(t)) => t,
                Some(Cell::NotUtf8) => {
                    return Err(err(
                        i,
                        "the cell is not UTF-8 text (save the file as CSV UTF-8)".into(),
                    ));
                }
            };
            if text.chars().count() > CELL_MAX {
                return Err(err(i, format!("the cell is over {CELL_MAX} characters")));
            }
            let text = text.trim();
            match role {
                ColumnRole::Skip => {}
                ColumnRole::Phone => phone = Some((i, text)),
                ColumnRole::CountryCode if !text.is_empty() => {
                    let digits = text.trim_start_matches('+');
                    if !(1..=3).contains(&digits.len())
                        || !digits.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(err(
                            i,
                            format!("`{text}` is not a calling code (1 to 3 digits)"),
                        ));
                    }
                    country = Some(digits.to_owned());
                }
                ColumnRole::CountryCode => {}
                ColumnRole::Name if !text.is_empty() => {
                    out.name = Some(ContactName::parse(text).map_err(|e| err(i, e.message))?);
                }
                ColumnRole::Name => {}
                ColumnRole::Tags => {
                    for t in text.split([',', ';', '|']).filter(|t| !t.trim().is_empty()) {
                        out.tags
                            .push(TagName::parse(t).map_err(|e| err(i, e.message))?);
                    }
                }
                ColumnRole::OptedIn => out.opted_in = flag(text).map_err(|r| err(i, r))?,
                ColumnRole::Blocked => out.blocked = flag(text).map_err(|r| err(i, r))?,
                ColumnRole::Timezone if !text.is_empty() => {
                    out.timezone = Some(Timezone::parse(text).map_err(|e| err(i, e.message))?);
                }
                ColumnRole::Timezone => {}
                ColumnRole::Attribute(key) if !text.is_empty() => {
                    let v = attribute_value(key, text).map_err(|e| err(i, e.message))?;
                    out.attributes.insert(key.clone(), v);
                }
                ColumnRole::Attribute(_) => {}
            }
        }
        let (i, raw) = phone.unwrap_or((0, ""));
        if raw.is_empty() {
            return Err(err(i, "the phone number is missing".into()));
        }
        out.wa_id = Some(number(raw, country.as_deref()).map_err(|r| err(i, r))?);
        out.tags = normalise_tags(out.tags);
        check_attributes(&out.attributes).map_err(|e| err(0, e.message))?;
        Ok(out)
    }
}

/// A number as written, with the calling code for national numbers.
pub fn number(raw: &str, country: Option<&str>) -> Result<PhoneE164, String> {
    let international = raw.starts_with('+') || raw.starts_with("00");
    let candidate = match country {
        Some(cc) if !international => {
            let national: String = raw
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
                .collect();
            // A number that already starts with the code is taken as international.
            if national.starts_with(cc) && national.len() > 10 {
                national
            } else {
                format!("{cc}{}", national.trim_start_matches('0'))
            }
        }
        _ => raw.to_owned(),
    };
    PhoneE164::parse(&candidate).map_err(|_| {
        format!("`{raw}` is not a phone number (international format, like +447700900123)")
    })
}

fn flag(text: &str) -> Result<Option<bool>, String> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "" => None,
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => return Err(format!("`{text}` is not true or false")),
    })
}

/// A cell as read: text, or bytes that are not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    Text(&'a str),
    NotUtf8,
}

/// One good row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub row: u64,
    /// Always set on a parsed row.
    pub wa_id: Option<PhoneE164>,
    pub name: Option<ContactName>,
    pub tags: Vec<TagName>,
    pub attributes: Attributes,
    pub opted_in: Option<bool>,
    pub blocked: Option<bool>,
    pub timezone: Option<Timezone>,
}

/// Why a row was not imported: its number in the file, the column (as headed) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: u64,
    pub column: String,
    pub reason: String,
}

/// The card a row makes: a new one, or `existing` updated (see the module docs); `true`
/// when it is new. Fails when the attributes would pass the limit.
pub fn upsert(
    existing: Option<ContactCard>,
    row: &ImportRow,
    account: AccountId,
    now: Timestamp,
) -> Result<(ContactCard, bool), String> {
    let wa_id = row
        .wa_id
        .clone()
        .ok_or_else(|| "the phone number is missing".to_owned())?;
    let created = existing.is_none();
    let mut card = existing.unwrap_or_else(|| ContactCard::new(account, wa_id, now));
    if let Some(name) = &row.name {
        card.name = Some(name.clone());
    }
    if let Some(tz) = &row.timezone {
        card.timezone = Some(tz.clone());
    }
    let mut tags = std::mem::take(&mut card.tags);
    tags.extend(row.tags.iter().cloned());
    card.tags = normalise_tags(tags);
    for (k, v) in &row.attributes {
        card.attributes.insert(k.clone(), v.clone());
    }
    check_attributes(&card.attributes).map_err(|e| e.message)?;
    if let Some(opted_in) = row.opted_in
        && card.opt_in.is_none_or(|o| o.opted_in != opted_in)
    {
        card.opt_in = Some(OptIn {
            opted_in,
            source: OptInSource::Import,
            at: now,
        });
    }
    match row.blocked {
        Some(true) if card.blocked_at.is_none() => card.blocked_at = Some(now),
        Some(false) => card.blocked_at = None,
        _ => {}
    }
    card.updated_at = now;
    Ok((card, created))
}

/// One import job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactImport {
    pub id: ContactImportId,
    pub account_id: AccountId,
    pub format: ImportFormat,
    /// The file's name as uploaded (or the CLI's path).
    pub file_name: String,
    pub file_sha256: String,
    pub file_size: u64,
    /// Where the server keeps the file until the import finishes; `None` for an import the
    /// CLI runs from its own file.
    pub blob_key: Option<String>,
    pub options: ImportOptions,
    pub status: ImportStatus,
    pub failure: Option<String>,
    /// Data rows read and settled (written or reported), in file order: where a resumed
    /// import goes on.
    pub rows_read: u64,
    pub created: u64,
    pub updated: u64,
    pub failed: u64,
    /// Who runs it, and until when that claim holds unless renewed.
    pub lease_owner: Option<String>,
    pub lease_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(
        headers: &[&str],
        options: &ImportOptions,
    ) -> Result<ImportMapping, ValidationError> {
        ImportMapping::new(headers.iter().map(|h| (*h).to_owned()).collect(), options)
    }

    fn cells<'a>(v: &[&'a str]) -> Vec<Cell<'a>> {
        v.iter().map(|s| Cell::Text(s)).collect()
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + s).unwrap()
    }

    #[test]
    fn headers_are_guessed_and_overridden() {
        let m = mapping(
            &[
                "\u{feff}Mobile",
                "Full Name",
                "Labels",
                "Favourite Colour",
                "created_at",
            ],
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(
            m.roles,
            vec![
                ColumnRole::Phone,
                ColumnRole::Name,
                ColumnRole::Tags,
                ColumnRole::Attribute(AttributeKey::parse("favourite_colour").unwrap()),
                ColumnRole::Skip,
            ]
        );
        let options = ImportOptions::parse(
            &[("Labels".to_owned(), "attribute:labels".to_owned())].into(),
            None,
        )
        .unwrap();
        let m = mapping(&["phone", "Labels"], &options).unwrap();
        assert_eq!(
            m.roles[1],
            ColumnRole::Attribute(AttributeKey::parse("labels").unwrap())
        );
    }

    #[test]
    fn bad_headers_are_refused() {
        let none = ImportOptions::default();
        assert!(mapping(&["name", "city"], &none).is_err(), "no phone");
        assert!(mapping(&["phone", "mobile"], &none).is_err(), "two phones");
        assert!(mapping(&["phone", "€€€"], &none).is_err(), "not a key");
        assert!(mapping(&["", ""], &none).is_err(), "no header");
        let missing =
            ImportOptions::parse(&[("Nope".to_owned(), "phone".to_owned())].into(), None).unwrap();
        assert!(mapping(&["phone"], &missing).is_err());
        assert!(ColumnRole::parse("colour").is_err());
        assert!(ImportOptions::parse(&BTreeMap::new(), Some("9999")).is_err());
    }

    #[test]
    fn rows_parse_into_fields() {
        let m = mapping(
            &["phone", "name", "tags", "opted_in", "city", "blocked"],
            &ImportOptions::default(),
        )
        .unwrap();
        let r = m
            .parse_row(
                2,
                &cells(&[
                    "+44 7700 900123",
                    " Ada ",
                    "vip; Beta|VIP",
                    "yes",
                    "Leeds",
                    "",
                ]),
            )
            .unwrap();
        assert_eq!(r.wa_id.unwrap().digits(), "447700900123");
        assert_eq!(r.name.unwrap().as_str(), "Ada");
        assert_eq!(
            r.tags.iter().map(TagName::as_str).collect::<Vec<_>>(),
            ["Beta", "vip"]
        );
        assert_eq!(r.opted_in, Some(true));
        assert_eq!(r.blocked, None);
        assert_eq!(r.attributes.values().collect::<Vec<_>>(), ["Leeds"]);
    }

    #[test]
    fn bad_rows_name_their_row_and_column() {
        let m = mapping(&["Mobile", "name", "opted_in"], &ImportOptions::default()).unwrap();
        let e = m.parse_row(7, &cells(&["12ab", "x", ""])).unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (7, "Mobile"));
        let e = m
            .parse_row(8, &cells(&["+447700900123", "x", "maybe"]))
            .unwrap_err();
        assert_eq!(e.column, "opted_in");
        let e = m
            .parse_row(9, &[Cell::Text("+447700900123"), Cell::NotUtf8])
            .unwrap_err();
        assert!(e.reason.contains("UTF-8"), "{e:?}");
        let e = m.parse_row(10, &cells(&["", "x", ""])).unwrap_err();
        assert!(e.reason.contains("missing"));
        let long = "n".repeat(300);
        assert!(
            m.parse_row(11, &cells(&["+447700900123", &long, ""]))
                .is_err()
        );
        let e = m
            .parse_row(12, &cells(&["+447700900123", "x", "", "extra"]))
            .unwrap_err();
        assert!(e.reason.contains("cells"));
        // Trailing empty cells are not extra.
        assert!(
            m.parse_row(13, &cells(&["+447700900123", "x", "", ""]))
                .is_ok()
        );
    }

    #[test]
    fn national_numbers_take_the_calling_code() {
        let m = mapping(&["Country", "Mobile"], &ImportOptions::default()).unwrap();
        let r = m.parse_row(2, &cells(&["91", "98765 43210"])).unwrap();
        assert_eq!(r.wa_id.unwrap().digits(), "919876543210");
        let r = m.parse_row(3, &cells(&["44", "07700 900123"])).unwrap();
        assert_eq!(r.wa_id.unwrap().digits(), "447700900123");
        let r = m.parse_row(4, &cells(&["44", "+1 555 010 0001"])).unwrap();
        assert_eq!(r.wa_id.unwrap().digits(), "15550100001");
        let options = ImportOptions::parse(&BTreeMap::new(), Some("+91")).unwrap();
        let m = mapping(&["phone"], &options).unwrap();
        let r = m.parse_row(2, &cells(&["9876543210"])).unwrap();
        assert_eq!(r.wa_id.unwrap().digits(), "919876543210");
    }

    #[test]
    fn upsert_creates_then_merges() {
        let m = mapping(
            &["phone", "name", "tags", "plan", "opted_in"],
            &ImportOptions::default(),
        )
        .unwrap();
        let account = AccountId::generate();
        let first = m
            .parse_row(2, &cells(&["+447700900123", "Ada", "vip", "gold", "no"]))
            .unwrap();
        let (card, created) = upsert(None, &first, account, t(1)).unwrap();
        assert!(created);
        assert_eq!(card.opt_in.unwrap().source, OptInSource::Import);
        assert!(!card.marketing_allowed());

        let second = m
            .parse_row(3, &cells(&["+447700900123", "", "beta", "", "no"]))
            .unwrap();
        let (merged, created) = upsert(Some(card.clone()), &second, account, t(5)).unwrap();
        assert!(!created);
        assert_eq!(merged.id, card.id);
        assert_eq!(merged.name, card.name, "an empty name cell keeps the name");
        assert_eq!(merged.tags.len(), 2, "tags are added");
        assert_eq!(
            merged.attributes, card.attributes,
            "an empty cell keeps the value"
        );
        assert_eq!(
            merged.opt_in.unwrap().at,
            t(1),
            "an unchanged opt-in keeps its time"
        );
        assert_eq!(merged.updated_at, t(5));
    }
}
