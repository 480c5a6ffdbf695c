//! Reading an import file row by row, with bounded memory.
//!
//! - **CSV**: UTF-8 with or without a byte-order mark; the delimiter is whichever of `,`,
//!   `;` and tab the header line uses most; quoted cells may span lines. A cell that is not
//!   UTF-8 is an error of its row (the others still import); a UTF-16 file is refused whole.
//!   A row's number is the line it starts on (the header is line 1).
//! - **XLSX**: the first sheet, streamed cell by cell (calamine). Before it is read the
//!   workbook is checked: a real zip holding `xl/workbook.xml`, at most
//!   [`XLSX_ENTRIES_MAX`] entries, unpacking (actually inflated, not as declared) to at most
//!   [`XLSX_UNPACKED_MAX`] bytes in all and at most [`XLSX_RATIO_MAX`]:1 per large entry, so a
//!   zip bomb is refused after bounded work. A row's number is the sheet's.
//!
//! Both run on a blocking thread (the service's job); [`read_rows`] calls back per row.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;

use calamine::{DataRef, Reader as _, Xlsx};
use wagate_core::contact::import::{Cell, ImportFormat};
use wagate_core::error::ValidationError;

/// The largest file an import takes.
pub const FILE_MAX: u64 = 256 * 1024 * 1024;
/// Most bytes an XLSX may unpack to.
pub const XLSX_UNPACKED_MAX: u64 = 1024 * 1024 * 1024;
/// Most entries in an XLSX.
pub const XLSX_ENTRIES_MAX: usize = 10_000;
/// Highest compression ratio of an entry over 1 MiB unpacked.
pub const XLSX_RATIO_MAX: u64 = 200;

fn file_error(message: impl Into<String>) -> ValidationError {
    ValidationError::new("file", message)
}

fn io_error(e: &io::Error) -> ValidationError {
    file_error(format!("the file could not be read: {e}"))
}

/// The format the bytes say: a zip is an XLSX, anything else is taken as CSV.
pub fn sniff(prefix: &[u8]) -> ImportFormat {
    if prefix.starts_with(b"PK\x03\x04") {
        ImportFormat::Xlsx
    } else {
        ImportFormat::Csv
    }
}

/// One row as read: its number in the file, its position among data rows counting the
/// header as 0, its cells, and how far into the file reading got (bytes; CSV only).
pub struct RawRow<'a> {
    pub row: u64,
    pub index: u64,
    pub cells: &'a [Cell<'a>],
    pub bytes_read: u64,
}

/// Checks the file is a readable `format` file (for an XLSX: the zip-bomb checks).
pub fn check(path: &Path, format: ImportFormat) -> Result<(), ValidationError> {
    match format {
        ImportFormat::Csv => {
            let mut prefix = [0u8; 4096];
            let mut f = File::open(path).map_err(|e| io_error(&e))?;
            let n = read_up_to(&mut f, &mut prefix).map_err(|e| io_error(&e))?;
            let prefix = &prefix[..n];
            if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]) {
                return Err(file_error(
                    "the file is UTF-16 text: save it as CSV UTF-8 and upload it again",
                ));
            }
            if prefix.starts_with(b"PK\x03\x04") {
                return Err(file_error("the file is a zip (an XLSX?), not a CSV"));
            }
            if prefix.contains(&0) {
                return Err(file_error("the file is not text: upload a CSV or an XLSX"));
            }
            Ok(())
        }
        ImportFormat::Xlsx => check_xlsx(path),
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn check_xlsx(path: &Path) -> Result<(), ValidationError> {
    let not_xlsx = || file_error("the file is not an XLSX workbook (nor a zip)");
    let f = File::open(path).map_err(|e| io_error(&e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(f)).map_err(|_| not_xlsx())?;
    if zip.len() > XLSX_ENTRIES_MAX {
        return Err(file_error(format!(
            "the workbook has over {XLSX_ENTRIES_MAX} parts: refused"
        )));
    }
    let mut total: u64 = 0;
    let mut workbook = false;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|_| not_xlsx())?;
        workbook |= entry.name().is_ok_and(|n| n == "xl/workbook.xml");
        let compressed = entry.compressed_size().max(1);
        let left = XLSX_UNPACKED_MAX - total;
        let n = io::copy(&mut (&mut entry).take(left + 1), &mut io::sink())
            .map_err(|_| file_error("the workbook is damaged: a part does not unpack"))?;
        total += n;
        if total > XLSX_UNPACKED_MAX {
            return Err(file_error(format!(
                "the workbook unpacks to over {} MiB: refused (a zip bomb?)",
                XLSX_UNPACKED_MAX / (1024 * 1024)
            )));
        }
        if n > 1024 * 1024 && n / compressed > XLSX_RATIO_MAX {
            return Err(file_error(format!(
                "a part of the workbook is compressed over {XLSX_RATIO_MAX}:1: refused \
                 (a zip bomb?)"
            )));
        }
    }
    if !workbook {
        return Err(file_error("the file is a zip but not an XLSX workbook"));
    }
    Ok(())
}

/// Reads `path` row by row (the header first, `index` 0), calling `each` until it breaks
/// or the rows end. `check` must have passed.
pub fn read_rows(
    path: &Path,
    format: ImportFormat,
    each: &mut dyn FnMut(RawRow<'_>) -> ControlFlow<()>,
) -> Result<(), ValidationError> {
    match format {
        ImportFormat::Csv => read_csv(path, each),
        ImportFormat::Xlsx => read_xlsx(path, each),
    }
}

/// The delimiter the header line uses most (outside quotes), `,` when none.
fn delimiter(path: &Path) -> io::Result<u8> {
    let mut buf = vec![0u8; 64 * 1024];
    let n = read_up_to(&mut File::open(path)?, &mut buf)?;
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in &buf[..n] {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                for (d, c) in &mut counts {
                    if b == *d {
                        *c += 1;
                    }
                }
            }
            _ => {}
        }
    }
    let best = counts.iter().max_by_key(|(_, c)| *c).copied();
    Ok(match best {
        Some((d, c)) if c > 0 => d,
        _ => b',',
    })
}

fn read_csv(
    path: &Path,
    each: &mut dyn FnMut(RawRow<'_>) -> ControlFlow<()>,
) -> Result<(), ValidationError> {
    let d = delimiter(path).map_err(|e| io_error(&e))?;
    let f = File::open(path).map_err(|e| io_error(&e))?;
    let mut lines = LineCounter::new(File::open(path).map_err(|e| io_error(&e))?);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(d)
        .from_reader(BufReader::with_capacity(256 * 1024, f));
    let mut record = csv::ByteRecord::new();
    let mut index = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(file_error(format!("the CSV could not be read: {e}"))),
        }
        let start = record.position().map_or(0, csv::Position::byte);
        let row = lines.line_of_content(start).map_err(|e| io_error(&e))?;
        let mut cells: Vec<Cell<'_>> = record
            .iter()
            .map(|b| std::str::from_utf8(b).map_or(Cell::NotUtf8, Cell::Text))
            .collect();
        if index == 0
            && let Some(Cell::Text(first)) = cells.first_mut()
        {
            *first = first.trim_start_matches('\u{feff}');
        }
        // A line of only empty cells is no row.
        let blank = cells
            .iter()
            .all(|c| matches!(c, Cell::Text(t) if t.trim().is_empty()));
        if blank {
            continue;
        }
        let bytes_read = reader.position().byte();
        let flow = each(RawRow {
            row,
            index,
            cells: &cells,
            bytes_read,
        });
        index += 1;
        if flow.is_break() {
            return Ok(());
        }
    }
}

/// Line numbers of byte offsets, read alongside the CSV reader (which reports where a
/// record's parse started, before the line breaks it skipped: `\r\n` and blank lines).
struct LineCounter {
    r: BufReader<File>,
    pos: u64,
    /// Line breaks before `pos`.
    breaks: u64,
}

impl LineCounter {
    fn new(f: File) -> Self {
        Self {
            r: BufReader::with_capacity(256 * 1024, f),
            pos: 0,
            breaks: 0,
        }
    }

    /// The line (from 1) of the first byte at or after `from` that is not a line break.
    fn line_of_content(&mut self, from: u64) -> io::Result<u64> {
        use std::io::BufRead;
        while self.pos < from {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let n = buf
                .len()
                .min(usize::try_from(from - self.pos).unwrap_or(usize::MAX));
            self.breaks += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            self.r.consume(n);
            self.pos += n as u64;
        }
        loop {
            let buf = self.r.fill_buf()?;
            match buf.first() {
                Some(b'\n') => self.breaks += 1,
                Some(b'\r') => {}
                _ => break,
            }
            self.r.consume(1);
            self.pos += 1;
        }
        Ok(self.breaks + 1)
    }
}

/// A cell's value as text: whole numbers without a decimal point (a phone number typed as
/// a number), dates as Excel's serial number.
fn text_of(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

fn read_xlsx(
    path: &Path,
    each: &mut dyn FnMut(RawRow<'_>) -> ControlFlow<()>,
) -> Result<(), ValidationError> {
    let broken =
        |e: calamine::XlsxError| file_error(format!("the workbook could not be read: {e}"));
    let mut workbook: Xlsx<_> = calamine::open_workbook(path).map_err(broken)?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(file_error("the workbook has no sheet"));
    };
    let mut reader = workbook.worksheet_cells_reader(&sheet).map_err(broken)?;
    let mut index = 0u64;
    let mut current: Option<u32> = None;
    let mut texts: Vec<String> = Vec::new();
    let mut emit = |row: u32, texts: &mut Vec<String>, index: &mut u64| {
        let blank = texts.iter().all(|t| t.trim().is_empty());
        if blank {
            texts.clear();
            return ControlFlow::Continue(());
        }
        let cells: Vec<Cell<'_>> = texts.iter().map(|t| Cell::Text(t)).collect();
        let flow = each(RawRow {
            row: u64::from(row) + 1,
            index: *index,
            cells: &cells,
            bytes_read: 0,
        });
        *index += 1;
        texts.clear();
        flow
    };
    while let Some(cell) = reader.next_cell().map_err(broken)? {
        let (row, col) = cell.get_position();
        if current != Some(row) {
            if let Some(prev) = current
                && emit(prev, &mut texts, &mut index).is_break()
            {
                return Ok(());
            }
            current = Some(row);
        }
        let col = col as usize;
        if col >= wagate_core::contact::import::COLUMNS_MAX * 4 {
            continue;
        }
        if texts.len() <= col {
            texts.resize(col + 1, String::new());
        }
        texts[col] = text_of(cell.get_value());
    }
    if let Some(prev) = current {
        let _ = emit(prev, &mut texts, &mut index);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8]) -> Vec<(u64, Vec<String>)> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, bytes).unwrap();
        check(f.path(), ImportFormat::Csv).unwrap();
        let mut out = Vec::new();
        read_rows(f.path(), ImportFormat::Csv, &mut |r: RawRow<'_>| {
            let cells = r
                .cells
                .iter()
                .map(|c| match c {
                    Cell::Text(t) => (*t).to_owned(),
                    Cell::NotUtf8 => "<bytes>".to_owned(),
                })
                .collect();
            out.push((r.row, cells));
            ControlFlow::Continue(())
        })
        .unwrap();
        out
    }

    #[test]
    fn csv_rows_are_numbered_by_the_line_they_start_on() {
        let got = rows(b"phone;name\n1;\"a\nb\"\n\n2;c\r\n3;\xff");
        let lines: Vec<u64> = got.iter().map(|(r, _)| *r).collect();
        assert_eq!(lines, [1, 2, 5, 6]);
        assert_eq!(got[1].1, ["1", "a\nb"]);
        assert_eq!(got[3].1, ["3", "<bytes>"]);
    }

    #[test]
    fn the_delimiter_is_the_headers_and_a_bom_is_dropped() {
        let got = rows("\u{feff}phone\tname\n1\tx\n".as_bytes());
        assert_eq!(got[0].1, ["phone", "name"]);
        assert_eq!(got[1].1, ["1", "x"]);
        let got = rows(b"\"a,b\";c\n");
        assert_eq!(got[0].1, ["a,b", "c"]);
    }

    #[test]
    fn text_that_is_not_csv_is_refused() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, b"\x00\x01\x02binary").unwrap();
        assert!(check(f.path(), ImportFormat::Csv).is_err());
        assert_eq!(sniff(b"PK\x03\x04rest"), ImportFormat::Xlsx);
        assert_eq!(sniff(b"phone,name"), ImportFormat::Csv);
    }
}
