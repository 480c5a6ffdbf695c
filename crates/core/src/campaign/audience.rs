//! An audience file's rows as recipients: which column is the number (and its calling
//! code), which columns the parameters read, and what each row is refused for.
//!
//! Columns are matched by their header key (`ctaVar1` is `ctavar1`). The number column is
//! the one the caller names, else the first of `phone`, `mobile`, `number`, `wa_id`,
//! `whatsapp`, `msisdn`; a `country` or `country_code` column gives the calling code of
//! national numbers (seed 001's layout: Country, Mobile, ctaVar1, ctaVar2, var1..n — its
//! `ctaVar` columns are ignored when no parameter reads them); a `name` column is kept as
//! the recipient's name. Every other column must be one a parameter reads: an unknown column refuses the whole file, as does a parameter column
//! the file lacks. A row is refused (skipped, reported with its number) for an invalid
//! number, a number already in the audience, or a parameter with no value and no fallback.

use std::collections::{BTreeMap, HashMap};

use super::model::{CampaignParams, NewRecipient, RecipientData};
use super::{ParamSource, RecipientData as Sources, SkipReason, resolve_params};
use crate::contact::import::{CELL_MAX, COLUMNS_MAX, Cell, header_key, number};
use crate::error::ValidationError;

/// What each column of an audience file is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    Phone,
    CountryCode,
    Name,
    Param(String),
}

/// A header row mapped for a campaign's parameters.
#[derive(Debug, Clone)]
pub struct AudienceMapping {
    pub headers: Vec<String>,
    roles: Vec<Role>,
    default_country_code: Option<String>,
    /// Only column parameters, for the load-time check (attributes are read at send time).
    column_params: Vec<super::Param>,
}

/// One refused row: its number, the column at fault, the reason in words, and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRefusal {
    pub row: u64,
    pub column: String,
    pub reason: String,
    pub skip: SkipReason,
}

const PHONE_KEYS: &[&str] = &[
    "phone",
    "mobile",
    "number",
    "phone_number",
    "mobile_number",
    "wa_id",
    "whatsapp",
    "whatsapp_number",
    "msisdn",
];

impl AudienceMapping {
    pub fn new(
        headers: Vec<String>,
        params: &CampaignParams,
        phone_column: Option<&str>,
        default_country_code: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let field = "file";
        if headers.iter().all(|h| h.trim().is_empty()) {
            return Err(ValidationError::missing(
                field,
                "the first row must be a header naming the columns (Mobile, var1, …)",
            ));
        }
        if headers.len() > COLUMNS_MAX {
            return Err(ValidationError::out_of_range(
                field,
                format!("a file may have at most {COLUMNS_MAX} columns"),
            ));
        }
        let wanted = params.columns();
        let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
        let phone_at = match phone_column {
            Some(p) => keys
                .iter()
                .position(|k| *k == header_key(p))
                .ok_or_else(|| {
                    ValidationError::new("phone_column", format!("the file has no column `{p}`"))
                })?,
            None => keys
                .iter()
                .position(|k| PHONE_KEYS.contains(&k.as_str()))
                .ok_or_else(|| {
                    ValidationError::missing(
                        field,
                        "the file has no phone column (Mobile, phone, number or wa_id)",
                    )
                })?,
        };
        let mut roles = Vec::with_capacity(keys.len());
        let mut unknown = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let role = if i == phone_at {
                Role::Phone
            } else if wanted.contains(k) {
                Role::Param(k.clone())
            } else if matches!(k.as_str(), "country" | "country_code" | "calling_code") {
                Role::CountryCode
            } else if matches!(k.as_str(), "name" | "full_name" | "contact_name") {
                Role::Name
            } else if (k.is_empty() && headers[i].trim().is_empty())
                || matches!(k.as_str(), "ctavar1" | "ctavar2")
            {
                // A blank trailing header (spreadsheets export them), or seed 001's CTA
                // columns, which its layout always has, for a template without them: read
                // by nothing.
                Role::Param(String::new())
            } else {
                unknown.push(headers[i].trim().to_owned());
                continue;
            };
            if roles.contains(&role) && role != Role::Param(String::new()) {
                return Err(ValidationError::new(
                    field,
                    format!("two columns are `{}`", headers[i].trim()),
                ));
            }
            roles.push(role);
        }
        if !unknown.is_empty() {
            return Err(ValidationError::new(
                field,
                format!(
                    "unknown column{} {}: no parameter reads {}; map it in `params` or remove it",
                    if unknown.len() > 1 { "s" } else { "" },
                    unknown
                        .iter()
                        .map(|u| format!("`{u}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if unknown.len() > 1 { "them" } else { "it" },
                ),
            ));
        }
        let missing: Vec<&String> = wanted.iter().filter(|w| !keys.contains(w)).collect();
        if let Some(m) = missing.first() {
            return Err(ValidationError::missing(
                field,
                format!("a parameter reads the column `{m}`, which the file does not have"),
            ));
        }
        let column_params = keyed(params)
            .into_iter()
            .filter(|p| !matches!(p.source, ParamSource::Attribute { .. }))
            .collect();
        Ok(Self {
            headers,
            roles,
            default_country_code: default_country_code.map(str::to_owned),
            column_params,
        })
    }

    /// One data row as a recipient, or why it is refused.
    pub fn parse_row(&self, row: u64, cells: &[Cell<'_>]) -> Result<NewRecipient, RowRefusal> {
        let refuse = |i: usize, reason: String, skip: SkipReason| RowRefusal {
            row,
            column: self.headers.get(i).cloned().unwrap_or_default(),
            reason,
            skip,
        };
        let mut phone = (0, "");
        let mut country = self.default_country_code.clone();
        let mut data = RecipientData::default();
        for (i, role) in self.roles.iter().enumerate() {
            let text = match cells.get(i) {
                None => "",
                Some(Cell::Text(t)) => t,
                Some(Cell::NotUtf8) => {
                    return Err(refuse(
                        i,
                        "the cell is not UTF-8 text (save the file as CSV UTF-8)".into(),
                        SkipReason::InvalidRow,
                    ));
                }
            };
            if text.len() > CELL_MAX {
                return Err(refuse(
                    i,
                    format!("the cell is over {CELL_MAX} bytes"),
                    SkipReason::InvalidRow,
                ));
            }
            let text = text.trim();
            match role {
                Role::Phone => phone = (i, text),
                Role::CountryCode if !text.is_empty() => {
                    let digits = text.trim_start_matches('+');
                    if (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
                    {
                        country = Some(digits.to_owned());
                    } else {
                        return Err(refuse(
                            i,
                            format!("`{text}` is not a calling code (1 to 3 digits)"),
                            SkipReason::InvalidNumber,
                        ));
                    }
                }
                Role::Name if !text.is_empty() => {
                    data.cells.insert("name".into(), text.to_owned());
                }
                Role::Param(key) if !key.is_empty() && !text.is_empty() => {
                    data.cells.insert(key.clone(), text.to_owned());
                }
                _ => {}
            }
        }
        let (i, raw) = phone;
        if raw.is_empty() {
            return Err(refuse(
                i,
                "the phone number is missing".into(),
                SkipReason::InvalidNumber,
            ));
        }
        let wa_id =
            number(raw, country.as_deref()).map_err(|r| refuse(i, r, SkipReason::InvalidNumber))?;
        let columns: HashMap<&str, &str> = data
            .cells
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sources = Sources {
            columns,
            attributes: HashMap::new(),
        };
        if let Err(skip) = resolve_params(&self.column_params, &sources) {
            let column = match &skip {
                SkipReason::MissingParameter { position } => self
                    .column_params
                    .get(position.saturating_sub(1))
                    .map(|p| match &p.source {
                        ParamSource::Column { name } => name.clone(),
                        _ => String::new(),
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            };
            return Err(RowRefusal {
                row,
                reason: format!("the column `{column}` is empty and its parameter has no fallback"),
                column,
                skip,
            });
        }
        Ok(NewRecipient { wa_id, data })
    }
}

/// The values of a recipient's parameters: its own, else from its cells and its contact
/// card's attributes (and `name`).
pub fn values_for(
    params: &CampaignParams,
    data: &RecipientData,
    card: Option<(&Option<String>, &BTreeMap<String, String>)>,
) -> Result<Vec<String>, SkipReason> {
    if let Some(values) = &data.values {
        let all: Vec<super::Param> = params.all().cloned().collect();
        let mut out = Vec::with_capacity(all.len());
        for (n, p) in all.iter().enumerate() {
            match values.get(n).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                Some(v) => out.push(v.to_owned()),
                None => {
                    let one = resolve_params(std::slice::from_ref(p), &Sources::default())
                        .map_err(|_| SkipReason::MissingParameter { position: n + 1 })?;
                    out.extend(one);
                }
            }
        }
        return Ok(out);
    }
    let mut sources = Sources::default();
    for (k, v) in &data.cells {
        sources.columns.insert(k.as_str(), v.as_str());
    }
    if let Some((name, attributes)) = card {
        for (k, v) in attributes {
            sources.attributes.insert(k.as_str(), v.as_str());
        }
        if let Some(n) = name {
            sources.attributes.insert("name", n.as_str());
        }
    }
    resolve_params(&keyed(params), &sources)
}

/// The parameters with column names as header keys (how cells are kept).
fn keyed(params: &CampaignParams) -> Vec<super::Param> {
    params
        .all()
        .cloned()
        .map(|p| match p.source {
            ParamSource::Column { name } => super::Param {
                source: ParamSource::Column {
                    name: header_key(&name),
                },
                fallback: p.fallback,
            },
            _ => p,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Param;

    fn col(name: &str, fallback: Option<&str>) -> Param {
        Param {
            source: ParamSource::Column { name: name.into() },
            fallback: fallback.map(Into::into),
        }
    }

    fn seed_001() -> CampaignParams {
        CampaignParams {
            body: vec![col("var1", None), col("var2", Some("friend"))],
            buttons: vec![crate::campaign::model::ButtonParam {
                index: 0,
                param: col("ctaVar1", None),
            }],
            ..CampaignParams::default()
        }
    }

    fn cells<'a>(v: &'a [&'a str]) -> Vec<Cell<'a>> {
        v.iter().map(|s| Cell::Text(s)).collect()
    }

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_seed_001_layout_maps() {
        let m = AudienceMapping::new(
            headers(&["Country", "Mobile", "ctaVar1", "ctaVar2", "var1", "var2"]),
            &CampaignParams {
                buttons: vec![
                    crate::campaign::model::ButtonParam {
                        index: 0,
                        param: col("ctaVar1", None),
                    },
                    crate::campaign::model::ButtonParam {
                        index: 1,
                        param: col("ctaVar2", Some("home")),
                    },
                ],
                ..seed_001()
            },
            None,
            None,
        )
        .unwrap();
        let r = m
            .parse_row(2, &cells(&["91", "9876543210", "t/1", "", "Asha", ""]))
            .unwrap();
        assert_eq!(r.wa_id.digits(), "919876543210");
        assert_eq!(r.data.cells["var1"], "Asha");
        assert!(!r.data.cells.contains_key("var2"));
        let values = values_for(&seed_001(), &r.data, None).unwrap();
        assert_eq!(values, vec!["Asha", "friend", "t/1"]);
    }

    #[test]
    fn bad_headers_refuse_the_file() {
        let e = AudienceMapping::new(
            headers(&["Mobile", "var1", "city"]),
            &seed_001(),
            None,
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("unknown column `city`"), "{}", e.message);
        let e = AudienceMapping::new(headers(&["Mobile", "var1"]), &seed_001(), None, None)
            .unwrap_err();
        assert!(e.message.contains("`var2`"), "{}", e.message);
        let e = AudienceMapping::new(
            headers(&["var1", "ctaVar1", "var2"]),
            &seed_001(),
            None,
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("no phone column"));
        let e = AudienceMapping::new(headers(&["", ""]), &seed_001(), None, None).unwrap_err();
        assert!(e.message.contains("header"));
    }

    #[test]
    fn rows_are_refused_with_their_reason() {
        let m = AudienceMapping::new(
            headers(&["phone", "var1", "var2", "ctaVar1"]),
            &seed_001(),
            None,
            Some("44"),
        )
        .unwrap();
        let e = m.parse_row(3, &cells(&["abc", "x", "", "y"])).unwrap_err();
        assert_eq!((e.row, e.skip.clone()), (3, SkipReason::InvalidNumber));
        assert_eq!(e.column, "phone");
        let e = m
            .parse_row(4, &cells(&["07700900123", "", "", "y"]))
            .unwrap_err();
        assert_eq!(e.skip, SkipReason::MissingParameter { position: 1 });
        assert_eq!(e.column, "var1");
        let ok = m
            .parse_row(5, &cells(&["07700900123", "x", "", "y"]))
            .unwrap();
        assert_eq!(ok.wa_id.digits(), "447700900123");
        let e = m.parse_row(6, &cells(&["", "x", "", "y"])).unwrap_err();
        assert!(e.reason.contains("missing"));
    }

    #[test]
    fn own_values_and_attributes() {
        let params = CampaignParams {
            body: vec![
                Param {
                    source: ParamSource::Attribute {
                        name: "name".into(),
                    },
                    fallback: Some("there".into()),
                },
                Param {
                    source: ParamSource::Attribute {
                        name: "city".into(),
                    },
                    fallback: None,
                },
            ],
            ..CampaignParams::default()
        };
        let data = RecipientData::default();
        let attrs = BTreeMap::from([("city".to_owned(), "Pune".to_owned())]);
        assert_eq!(
            values_for(&params, &data, Some((&None, &attrs))).unwrap(),
            vec!["there", "Pune"]
        );
        assert_eq!(
            values_for(&params, &data, None),
            Err(SkipReason::MissingParameter { position: 2 })
        );
        let own = RecipientData {
            values: Some(vec!["Brindha".into(), "Mam".into()]),
            ..RecipientData::default()
        };
        assert_eq!(
            values_for(&params, &own, None).unwrap(),
            vec!["Brindha", "Mam"]
        );
    }
}
