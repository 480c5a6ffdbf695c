//! Contact imports and exports over real HTTP, on SQLite and PostgreSQL: a CSV with bad
//! rows (each reported, every good row stored), an XLSX in and out, files refused whole
//! before anything is stored (a zip bomb, not an XLSX, UTF-16, no phone column…), another
//! account's import, and `wagate contacts import` killed with SIGKILL half-way and resumed.

use std::io::Write;
use std::time::Duration;

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_manage_error, eventually, spawn_apps};

const BIN: &str = env!("CARGO_BIN_EXE_wagate");

async fn tag(app: &TestApp, name: &str) {
    let res = app.post_json("/api/v1/tags", &json!({"name": name})).await;
    assert_eq!(res.status(), 201, "{}", app.backend);
}

/// Uploads `bytes` as the import's file with extra form fields.
async fn upload(
    app: &TestApp,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    app.req(Method::POST, "/api/v1/contacts/imports")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Uploads, runs the workers until idle, and returns the finished import.
async fn import(app: &TestApp, name: &str, bytes: Vec<u8>, fields: &[(&str, &str)]) -> Value {
    let res = upload(app, name, bytes, fields).await;
    assert_eq!(
        res.status(),
        202,
        "{}: {}",
        app.backend,
        res.text().await.unwrap()
    );
    let queued: Value = res.json().await.unwrap();
    assert_eq!(queued["status"], "queued");
    app.app.drain().await.unwrap();
    let id = queued["id"].as_str().unwrap();
    app.get(&format!("/api/v1/contacts/imports/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

async fn total(app: &TestApp, query: &str) -> u64 {
    let page: Value = app
        .get(&format!("/api/v1/contacts?limit=1{query}"))
        .await
        .json()
        .await
        .unwrap();
    page["total"].as_u64().unwrap()
}

async fn contact(app: &TestApp, number: &str) -> Value {
    let res = app.get(&format!("/api/v1/contacts/{number}")).await;
    assert_eq!(res.status(), 200, "{}: {number}", app.backend);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_csv_import_reports_each_bad_row_and_stores_every_good_one() {
    for app in spawn_apps().await {
        tag(&app, "VIP").await;
        tag(&app, "beta").await;
        // An existing contact the file updates.
        let res = app
            .post_json(
                "/api/v1/contacts",
                &json!({"wa_id": "+447700900010", "name": "Old name", "tags": ["beta"],
                        "attributes": {"plan": "gold"}}),
            )
            .await;
        assert_eq!(res.status(), 201);

        let mut csv = Vec::new();
        csv.extend_from_slice("\u{feff}Mobile;Full Name;Tags;City;opted_in\n".as_bytes());
        csv.extend_from_slice(b"+44 7700 900001;Ada;vip;Leeds;yes\n"); // row 2: good
        csv.extend_from_slice(b"not a number;Bob;;York;\n"); // row 3: bad phone
        csv.extend_from_slice(b"+447700900003;Cy;gamma;Hull;\n"); // row 4: unknown tag
        csv.extend_from_slice(b"447700900001;Ada again;;;\n"); // row 5: duplicate of row 2
        csv.extend_from_slice(b"+447700900005;D\xe9e;;Bath;\n"); // row 6: not UTF-8
        csv.extend_from_slice(b"+447700900006;\"Eve, E\";\"vip, beta\";;maybe\n"); // row 7: bad flag
        csv.extend_from_slice(b"+447700900010;;VIP;Derby;no\n"); // row 8: updates
        csv.extend_from_slice(b"\n"); // a blank line is no row
        csv.extend_from_slice(b"+447700900011;Fay;;\"Line one\nLine two\";\n"); // row 10: a quoted newline
        csv.extend_from_slice(b"+447700900012;Gil;;;;extra\n"); // row 12: too many cells
        let done = import(&app, "people.csv", csv, &[]).await;
        assert_eq!(done["status"], "completed", "{}: {done}", app.backend);
        assert_eq!(done["rows_read"], 9, "{done}");
        assert_eq!(
            (done["created"].as_u64(), done["updated"].as_u64()),
            (Some(2), Some(1)),
            "{done}"
        );
        assert_eq!(done["failed"], 6, "{done}");
        let errors: Vec<(u64, String)> = done["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_u64().unwrap(),
                    e["column"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            errors,
            [
                (3, "Mobile"),
                (4, "Tags"),
                (5, "Mobile"),
                (6, "Full Name"),
                (7, "opted_in"),
                (12, "")
            ]
            .map(|(r, c)| (r, c.to_owned())),
            "{}: {done}",
            app.backend
        );
        let reasons: Vec<&str> = done["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reason"].as_str().unwrap())
            .collect();
        assert!(reasons[1].contains("`gamma` does not exist"), "{reasons:?}");
        assert!(reasons[2].contains("row 2"), "{reasons:?}");
        assert!(reasons[3].contains("UTF-8"), "{reasons:?}");

        // The good rows, and nothing of the bad ones.
        let ada = contact(&app, "+447700900001").await;
        assert_eq!(ada["name"], "Ada");
        assert_eq!(ada["tags"], json!(["VIP"]), "the account's spelling");
        assert_eq!(ada["attributes"], json!({"city": "Leeds"}));
        assert_eq!(
            (ada["opted_in"].as_bool(), ada["opt_in_source"].as_str()),
            (Some(true), Some("import"))
        );
        let updated = contact(&app, "+447700900010").await;
        assert_eq!(updated["name"], "Old name", "an empty cell keeps the name");
        assert_eq!(updated["tags"], json!(["beta", "VIP"]), "tags are added");
        assert_eq!(
            updated["attributes"],
            json!({"city": "Derby", "plan": "gold"})
        );
        assert_eq!(updated["opted_in"], false);
        assert_eq!(
            contact(&app, "+447700900011").await["attributes"],
            json!({"city": "Line one\nLine two"})
        );
        assert_eq!(total(&app, "").await, 3, "{}", app.backend);
        for missing in [
            "+447700900003",
            "+447700900005",
            "+447700900006",
            "+447700900012",
        ] {
            let res = app.get(&format!("/api/v1/contacts/{missing}")).await;
            assert_eq!(res.status(), 404, "{}: {missing}", app.backend);
        }

        // The whole report as CSV, and paged as JSON.
        let id = done["id"].as_str().unwrap();
        let res = app
            .get(&format!("/api/v1/contacts/imports/{id}/errors?format=csv"))
            .await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let report = res.text().await.unwrap();
        assert_eq!(report.lines().count(), 7, "{report}");
        assert!(
            report.starts_with("row,column,reason\n3,Mobile,"),
            "{report}"
        );
        let page: Value = app
            .get(&format!("/api/v1/contacts/imports/{id}/errors?limit=4"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["data"].as_array().unwrap().len(), 4);
        assert_eq!(page["next_after"], 6);
        let rest: Value = app
            .get(&format!("/api/v1/contacts/imports/{id}/errors?after=6"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rest["data"].as_array().unwrap().len(), 2);
        assert_eq!(rest["next_after"], Value::Null);

        // Listed, newest first; another account sees none of it.
        let list: Value = app
            .get("/api/v1/contacts/imports")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"][0]["id"], done["id"]);
        let (_, other) = app.other_account().await;
        for path in [
            format!("/api/v1/contacts/imports/{id}"),
            format!("/api/v1/contacts/imports/{id}/errors"),
            "/api/v1/contacts/imports/not-an-id".to_owned(),
        ] {
            let res = app
                .with_key(Method::GET, &path, &other)
                .send()
                .await
                .unwrap();
            assert_manage_error(res, 404, "import_not_found").await;
        }
        let list: Value = app
            .with_key(Method::GET, "/api/v1/contacts/imports", &other)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"], json!([]));
    }
}

#[tokio::test]
async fn explicit_mappings_and_calling_codes_apply() {
    for app in spawn_apps().await {
        // Seed 001's bulk layout: Country, Mobile, then variables.
        let csv = b"Country,Mobile,var1,Notes\n91,98765 43210,Asha,skip me\n44,07700 900123,Ben,x\n,5550100001,Cat,y\n".to_vec();
        let done = import(
            &app,
            "bulk.csv",
            csv,
            &[
                ("mapping", r#"{"var1":"name","Notes":"skip"}"#),
                ("default_country_code", "+1"),
            ],
        )
        .await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["created"], 3, "{done}");
        assert_eq!(done["mapping"], json!({"Notes": "skip", "var1": "name"}));
        assert_eq!(contact(&app, "+919876543210").await["name"], "Asha");
        assert_eq!(contact(&app, "+447700900123").await["name"], "Ben");
        let cat = contact(&app, "+15550100001").await;
        assert_eq!(cat["name"], "Cat");
        assert_eq!(cat["attributes"], json!({}), "Notes was skipped");
    }
}

/// An XLSX of `rows` (each a list of cells; numbers as numbers).
pub fn xlsx(rows: &[Vec<Value>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r).unwrap(), u16::try_from(c).unwrap());
            match cell {
                Value::Number(n) => sheet.write_number(r, c, n.as_f64().unwrap()).map(|_| ()),
                Value::String(s) => sheet.write_string(r, c, s).map(|_| ()),
                _ => Ok(()),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn an_xlsx_imports_and_the_book_exports_as_csv_and_xlsx_that_import_back() {
    for app in spawn_apps().await {
        tag(&app, "vip").await;
        let file = xlsx(&[
            vec![json!("Phone"), json!("Name"), json!("Tags"), json!("Plan")],
            // A number typed as a number.
            vec![
                json!(447_700_900_201_u64),
                json!("Ann"),
                json!("vip"),
                json!("gold"),
            ],
            vec![
                json!("+447700900202"),
                json!("Bea"),
                json!(""),
                json!("silver"),
            ],
            vec![json!("12"), json!("Bad"), json!(""), json!("")],
        ]);
        let done = import(&app, "book.xlsx", file, &[]).await;
        assert_eq!(done["status"], "completed", "{}: {done}", app.backend);
        assert_eq!(done["format"], "xlsx");
        assert_eq!(
            (done["created"].as_u64(), done["failed"].as_u64()),
            (Some(2), Some(1)),
            "{done}"
        );
        assert_eq!(done["errors"][0]["row"], 4);
        assert_eq!(
            contact(&app, "+447700900201").await["attributes"],
            json!({"plan": "gold"})
        );

        // CSV, filtered by tag.
        let res = app.get("/api/v1/contacts/export?tag=vip").await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("contacts.csv")
        );
        let csv = res.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2, "{csv}");
        assert!(
            lines[0].starts_with("phone,name,tags,opted_in,blocked,timezone,plan,id,"),
            "{csv}"
        );
        assert!(
            lines[1].starts_with("+447700900201,Ann,vip,,false,,gold,"),
            "{csv}"
        );
        // Everything, and back in: every row updates, none is created or refused.
        let all = app
            .get("/api/v1/contacts/export")
            .await
            .bytes()
            .await
            .unwrap();
        let back = import(&app, "contacts.csv", all.to_vec(), &[]).await;
        assert_eq!(back["status"], "completed", "{back}");
        assert_eq!(
            (
                back["created"].as_u64(),
                back["updated"].as_u64(),
                back["failed"].as_u64()
            ),
            (Some(0), Some(2), Some(0)),
            "{back}"
        );
        assert_eq!(
            contact(&app, "+447700900202").await["attributes"],
            json!({"plan": "silver"})
        );

        // XLSX: a real workbook with the same rows.
        let res = app.get("/api/v1/contacts/export?format=xlsx").await;
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        use calamine::Reader;
        let range = book.worksheet_range("Contacts").unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(rows[0][..3], ["phone", "name", "tags"]);
        assert_eq!(rows[1][..2], ["+447700900201", "Ann"]);
        assert_eq!(rows[2][..2], ["+447700900202", "Bea"]);

        let res = app.get("/api/v1/contacts/export?format=pdf").await;
        assert_manage_error(res, 400, "invalid_query").await;
    }
}

/// A zip holding `entries` (name, bytes), deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            zip.start_file(*name, opts).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }
    out.into_inner()
}

#[tokio::test]
async fn files_that_cannot_be_imported_are_refused_before_anything_is_stored() {
    // 16 MiB of zeros deflates to about 16 KiB: far past the 200:1 ratio.
    let zeros = vec![0u8; 16 * 1024 * 1024];
    let bomb = zip_of(&[
        ("xl/workbook.xml", b"<workbook/>"),
        ("xl/worksheets/sheet1.xml", &zeros),
    ]);
    drop(zeros);
    let not_a_workbook = zip_of(&[("readme.txt", b"hello")]);
    let mut utf16 = vec![0xFF, 0xFE];
    for c in "phone\n+447700900001\n".encode_utf16() {
        utf16.extend_from_slice(&c.to_le_bytes());
    }
    for app in spawn_apps().await {
        const BAD: &str = "invalid_request";
        const MISSING: &str = "missing_parameter";
        let csv = || b"phone\n+447700900001\n".to_vec();
        #[allow(clippy::type_complexity)]
        let cases: Vec<(&str, Vec<u8>, Vec<(&str, &str)>, &str, &str, &str)> = vec![
            ("bomb.xlsx", bomb.clone(), vec![], BAD, "file", "zip bomb"),
            (
                "fake.xlsx",
                csv(),
                vec![("format", "xlsx")],
                BAD,
                "file",
                "not an XLSX",
            ),
            (
                "zip.xlsx",
                not_a_workbook.clone(),
                vec![],
                BAD,
                "file",
                "not an XLSX",
            ),
            ("wide.csv", utf16.clone(), vec![], BAD, "file", "UTF-16"),
            (
                "none.csv",
                b"name,city\nAda,Leeds\n".to_vec(),
                vec![],
                MISSING,
                "file",
                "no phone column",
            ),
            (
                "two.csv",
                b"phone,mobile\n1,2\n".to_vec(),
                vec![],
                BAD,
                "mapping",
                "two columns",
            ),
            (
                "m.csv",
                csv(),
                vec![("mapping", "{\"Nope\":\"phone\"}")],
                BAD,
                "mapping",
                "does not have",
            ),
            (
                "m.csv",
                csv(),
                vec![("mapping", "[1,2]")],
                BAD,
                "mapping",
                "JSON object",
            ),
            (
                "m.csv",
                csv(),
                vec![("mapping", "{\"phone\":\"colour\"}")],
                BAD,
                "mapping",
                "not a column role",
            ),
            (
                "m.csv",
                csv(),
                vec![("format", "pdf")],
                BAD,
                "format",
                "csv",
            ),
            (
                "m.csv",
                csv(),
                vec![("default_country_code", "12345")],
                BAD,
                "default_country_code",
                "calling code",
            ),
            ("empty.csv", Vec::new(), vec![], MISSING, "file", "empty"),
            (
                "blank.csv",
                b"\n\n".to_vec(),
                vec![],
                MISSING,
                "file",
                "no rows",
            ),
            (
                "bad.csv",
                b"\xc3(phone\n".to_vec(),
                vec![],
                MISSING,
                "file",
                "header",
            ),
        ];
        for (name, bytes, fields, code, field, says) in cases {
            let res = upload(&app, name, bytes, &fields).await;
            let err = assert_manage_error(res, 400, code).await;
            assert_eq!(
                err["error"]["field"], field,
                "{}: {name}: {err}",
                app.backend
            );
            let message = err["error"]["message"].as_str().unwrap();
            assert!(message.contains(says), "{name}: `{says}` not in {err}");
        }
        // No file part, and not multipart at all.
        let res = app
            .req(Method::POST, "/api/v1/contacts/imports")
            .multipart(Form::new().text("format", "csv"))
            .send()
            .await
            .unwrap();
        assert_manage_error(res, 400, "invalid_request").await;
        let res = app.post_json("/api/v1/contacts/imports", &json!({})).await;
        assert_manage_error(res, 400, "invalid_request").await;

        let list: Value = app
            .get("/api/v1/contacts/imports")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"], json!([]), "{}: nothing stored", app.backend);
        assert_eq!(total(&app, "").await, 0);
    }
}

fn big_csv(rows: u64) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    let mut w = std::io::BufWriter::new(f.as_file_mut());
    writeln!(w, "phone,name,tags,city").unwrap();
    for i in 0..rows {
        // Every 97th row names a tag that does not exist: refused, reported.
        let tag = if i % 97 == 0 { "nope" } else { "bulk" };
        writeln!(w, "+4477{i:08},Person {i},{tag},City {}", i % 10).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    f
}

/// `wagate contacts import` on the server's database, killed with SIGKILL once batches are
/// committed: every written row is whole and counted; `--resume` finishes the rest.
#[tokio::test]
async fn a_cli_import_killed_half_way_keeps_whole_rows_and_resumes() {
    const ROWS: u64 = 30_000;
    let file = big_csv(ROWS);
    let refused = ROWS.div_ceil(97);
    for app in spawn_apps().await {
        tag(&app, "bulk").await;
        let db = app.database_arg();
        let data_dir = app.data_dir();
        let base_args = |extra: &[&str]| {
            let mut cmd = tokio::process::Command::new(BIN);
            cmd.args(["contacts", "import"])
                .arg(file.path())
                .args(["--quiet", "--database", &db, "--data-dir"])
                .arg(&data_dir)
                .args(extra)
                .env_remove("WAGATE_CONFIG")
                .kill_on_drop(true)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd
        };
        let mut child = base_args(&[]).spawn().unwrap();
        // Wait for committed progress, then kill -9.
        let running = eventually(
            "the CLI import commits a batch",
            Duration::from_secs(60),
            || async {
                let list: Value = app
                    .get("/api/v1/contacts/imports")
                    .await
                    .json()
                    .await
                    .unwrap();
                let i = list["data"][0].clone();
                if i["rows_read"].as_u64().unwrap_or(0) > 0 {
                    Ok(i)
                } else {
                    Err(format!("{i}"))
                }
            },
        )
        .await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        let id = running["id"].as_str().unwrap().to_owned();
        let killed: Value = app
            .get(&format!("/api/v1/contacts/imports/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(killed["status"], "running", "{}: {killed}", app.backend);
        let read = killed["rows_read"].as_u64().unwrap();
        assert!(
            read < ROWS,
            "the kill came too late to test anything: {killed}"
        );
        // Whole batches only: every row read is a stored contact with its tag, or reported.
        let stored = total(&app, "").await;
        assert_eq!(
            stored,
            killed["created"].as_u64().unwrap(),
            "{}: {killed}",
            app.backend
        );
        assert_eq!(
            stored + killed["failed"].as_u64().unwrap(),
            read,
            "{killed}"
        );
        assert_eq!(
            total(&app, "&tag=bulk").await,
            stored,
            "no card without its tag"
        );

        // Another file is not this import's.
        let other = big_csv(3);
        let out = tokio::process::Command::new(BIN)
            .args(["contacts", "import"])
            .arg(other.path())
            .args(["--quiet", "--database", &db, "--data-dir"])
            .arg(&data_dir)
            .args(["--resume", &id, "--take-over"])
            .output()
            .await
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not the file"),
            "{out:?}"
        );
        // The lease of the killed process still holds: taking over must be asked for.
        let out = base_args(&["--resume", &id]).output().await.unwrap();
        assert!(!out.status.success(), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("another process"),
            "{out:?}"
        );

        let out = base_args(&["--resume", &id, "--take-over", "--report"])
            .arg(data_dir.join("report.csv"))
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{}: {out:?}", app.backend);
        let done: Value = app
            .get(&format!("/api/v1/contacts/imports/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["rows_read"], ROWS);
        assert_eq!(done["created"].as_u64(), Some(ROWS - refused), "{done}");
        assert_eq!(done["failed"].as_u64(), Some(refused), "{done}");
        assert_eq!(total(&app, "").await, ROWS - refused, "{}", app.backend);
        let report = std::fs::read_to_string(data_dir.join("report.csv")).unwrap();
        let after_resume = report.lines().count() as u64 - 1;
        assert_eq!(
            after_resume, refused,
            "the report has every refused row: {report}"
        );
        assert!(
            report.contains("2,tags,the tag `nope` does not exist"),
            "{report}"
        );
    }
}
