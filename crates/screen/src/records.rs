//! A chunked CSV reader for registries of millions of rows.
//!
//! The file is read in large chunks cut at record boundaries, so each chunk can be split again
//! and parsed on several threads while memory stays bounded. Records without quotes (nearly
//! all of them in registry exports) are split in place without copying; quoted fields follow
//! RFC 4180. Every record keeps its physical line number for error messages.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use memchr::{memchr, memchr_iter, memchr2, memrchr};

use crate::table::TableError;

/// Bytes read per chunk: large enough to keep threads busy, small enough to stream.
pub const CHUNK_BYTES: usize = 16 << 20;

/// A CSV file open for chunked reading, past its header.
pub struct CsvSource {
    file_name: String,
    reader: File,
    delimiter: u8,
    headers: Vec<String>,
    /// Bytes read; those before `consumed` were handed out in the last chunk. The buffer is
    /// reused from chunk to chunk, so its pages are touched once.
    pending: Vec<u8>,
    consumed: usize,
    /// Line number of the first byte after `consumed`.
    pending_line: usize,
    at_end: bool,
    total_bytes: u64,
    bytes_read: u64,
}

/// Whole records of a file, with the line number of the first. The bytes are not yet known
/// to be UTF-8: [`Piece::text`] checks each piece, so the check runs on every core.
pub struct Chunk<'a> {
    pub bytes: &'a [u8],
    pub first_line: usize,
}

/// A part of a chunk, cut at a record boundary.
pub struct Piece<'a> {
    pub bytes: &'a [u8],
    pub first_line: usize,
}

/// A chunk taken out of the reader, so the next one can be read while it is parsed.
pub struct OwnedChunk {
    /// The chunk's records, perhaps followed by bytes past its last piece.
    pub bytes: Vec<u8>,
    pub first_line: usize,
    /// How much of the file had been read when the chunk was cut, and the file's size.
    pub bytes_read: u64,
    pub total_bytes: u64,
    /// Where its pieces end and the line each starts on, worked out by the reader.
    cuts: Vec<(usize, usize)>,
}

impl OwnedChunk {
    /// The pieces planned when the chunk was read.
    pub fn pieces(&self) -> Vec<Piece<'_>> {
        let mut start = 0;
        self.cuts
            .iter()
            .map(|&(end, first_line)| {
                let piece = Piece {
                    bytes: &self.bytes[start..end],
                    first_line,
                };
                start = end;
                piece
            })
            .collect()
    }
}

impl<'a> Piece<'a> {
    /// The piece as text, or an error naming the line that is not UTF-8.
    pub fn text(&self, file_name: &str) -> Result<&'a str, TableError> {
        std::str::from_utf8(self.bytes).map_err(|e| {
            let line = self.first_line + count_newlines(&self.bytes[..e.valid_up_to()]);
            not_utf8(file_name, line)
        })
    }
}

fn not_utf8(file_name: &str, line: usize) -> TableError {
    TableError::Csv {
        file: file_name.to_owned(),
        line,
        message: "the text is not UTF-8; save the file as \"CSV UTF-8\"".to_owned(),
    }
}

impl CsvSource {
    /// Opens a file and reads its header line; `file_name` names it in errors.
    pub fn open(path: &Path, file_name: &str) -> Result<Self, TableError> {
        let io_error = |source: io::Error| TableError::Io {
            file: file_name.to_owned(),
            source,
        };
        let reader = File::open(path).map_err(io_error)?;
        let total_bytes = reader.metadata().map_err(io_error)?.len();
        let mut source = Self {
            file_name: file_name.to_owned(),
            reader,
            delimiter: b',',
            headers: Vec::new(),
            pending: Vec::new(),
            consumed: 0,
            pending_line: 1,
            at_end: false,
            total_bytes,
            bytes_read: 0,
        };
        source.read_header()?;
        Ok(source)
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Size of the file and how much of it has been read, for progress.
    pub fn progress(&self) -> (u64, u64) {
        (self.bytes_read, self.total_bytes)
    }

    fn read_header(&mut self) -> Result<(), TableError> {
        loop {
            if let Some(end) = record_end(&self.pending, 0) {
                let mut line = &self.pending[..end];
                if let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
                    line = rest;
                }
                let text = std::str::from_utf8(line).map_err(|_| self.not_utf8(1))?;
                let text = text.strip_suffix('\r').unwrap_or(text);
                if text.trim().is_empty() {
                    // Blank lines above the header are skipped.
                    self.pending_line += 1 + count_newlines(&self.pending[..end]);
                    self.pending.drain(..(end + 1).min(self.pending.len()));
                    continue;
                }
                let commas = text.bytes().filter(|b| *b == b',').count();
                let semicolons = text.bytes().filter(|b| *b == b';').count();
                self.delimiter = if semicolons > commas { b';' } else { b',' };
                let mut fields = Vec::new();
                split_record(text, self.delimiter, &mut fields);
                self.headers = fields.into_iter().map(|f| f.trim().to_owned()).collect();
                self.pending_line += 1 + count_newlines(&self.pending[..end]);
                self.pending.drain(..(end + 1).min(self.pending.len()));
                return Ok(());
            }
            if self.at_end {
                return Err(TableError::NoHeader {
                    file: self.file_name.clone(),
                });
            }
            self.fill(64 << 10)?;
        }
    }

    /// Reads up to `bytes` more into `pending`, without zeroing the buffer first.
    fn fill(&mut self, bytes: usize) -> Result<(), TableError> {
        let start = self.pending.len();
        self.pending.reserve(bytes);
        let mut limited = (&mut self.reader).take(bytes as u64);
        loop {
            match limited.read_to_end(&mut self.pending) {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(TableError::Io {
                        file: self.file_name.clone(),
                        source,
                    });
                }
            }
        }
        let read = self.pending.len() - start;
        self.bytes_read += read as u64;
        if read < bytes {
            self.at_end = true;
            if !self.pending.is_empty() && self.pending.last() != Some(&b'\n') {
                // The last record may lack its line break.
                self.pending.push(b'\n');
            }
        }
        Ok(())
    }

    /// The next chunk of whole records, or `None` at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk<'_>>, TableError> {
        // Keep the unfinished record at the front and read after it.
        self.pending.copy_within(self.consumed.., 0);
        self.pending.truncate(self.pending.len() - self.consumed);
        self.consumed = 0;
        loop {
            if !self.at_end && self.pending.len() < CHUNK_BYTES {
                self.fill(CHUNK_BYTES)?;
            }
            if self.pending.is_empty() {
                return Ok(None);
            }
            let cut = match last_record_end(&self.pending) {
                Some(end) => end + 1,
                None if self.at_end => {
                    // An opening quote is never closed: the rest is one unfinished record.
                    return Err(TableError::Csv {
                        file: self.file_name.clone(),
                        line: self.pending_line,
                        message: "a quoted field is never closed".to_owned(),
                    });
                }
                None => {
                    // A single record longer than a chunk: read more.
                    self.fill(CHUNK_BYTES)?;
                    continue;
                }
            };
            let first_line = self.pending_line;
            self.pending_line += count_newlines(&self.pending[..cut]);
            self.consumed = cut;
            return Ok(Some(Chunk {
                bytes: &self.pending[..cut],
                first_line,
            }));
        }
    }

    /// Like [`CsvSource::next_chunk`], but hands the chunk over with its buffer, and plans
    /// its pieces: all the sequential work of a chunk, so a reader thread can do it while the
    /// previous chunk is parsed. `buffer` (a spare, reused so its pages are touched once)
    /// takes the unfinished record after the chunk and is read into next, so the chunk's
    /// bytes are never copied.
    pub fn next_owned_chunk(
        &mut self,
        mut buffer: Vec<u8>,
        parts: usize,
    ) -> Result<Option<OwnedChunk>, TableError> {
        let Some(chunk) = self.next_chunk()? else {
            return Ok(None);
        };
        let first_line = chunk.first_line;
        let cuts = chunk
            .pieces(parts)
            .iter()
            .scan(0, |end, piece| {
                *end += piece.bytes.len();
                Some((*end, piece.first_line))
            })
            .collect();
        buffer.clear();
        buffer.extend_from_slice(&self.pending[self.consumed..]);
        let bytes = std::mem::replace(&mut self.pending, buffer);
        self.consumed = 0;
        Ok(Some(OwnedChunk {
            bytes,
            first_line,
            bytes_read: self.bytes_read,
            total_bytes: self.total_bytes,
            cuts,
        }))
    }

    fn not_utf8(&self, line: usize) -> TableError {
        not_utf8(&self.file_name, line)
    }
}

impl<'a> Chunk<'a> {
    /// Splits the chunk at record boundaries into at most `parts` pieces of similar size,
    /// each with the line number of its first record.
    pub fn pieces(&self, parts: usize) -> Vec<Piece<'a>> {
        let bytes = self.bytes;
        let target = bytes.len() / parts.max(1) + 1;
        let mut pieces = Vec::with_capacity(parts);
        let mut start = 0;
        let mut line = self.first_line;
        while start < bytes.len() {
            let end = if bytes.len() - start <= target {
                bytes.len()
            } else {
                cut_after(bytes, start, start + target)
            };
            pieces.push(Piece {
                bytes: &bytes[start..end],
                first_line: line,
            });
            if end < bytes.len() {
                line += count_newlines(&bytes[start..end]);
            }
            start = end;
        }
        pieces
    }
}

/// The end (exclusive) of the record that holds `offset`, given that a record starts at
/// `start`. Quotes pair up from a record start, so their count before `offset` says whether
/// `offset` sits inside a quoted field.
fn cut_after(bytes: &[u8], start: usize, offset: usize) -> usize {
    let mut from = offset;
    if memchr_iter(b'"', &bytes[start..offset]).count() % 2 == 1 {
        match memchr(b'"', &bytes[offset..]) {
            Some(closing) => from = offset + closing + 1,
            None => return bytes.len(),
        }
    }
    record_end(bytes, from).map_or(bytes.len(), |end| end + 1)
}

pub fn count_newlines(bytes: &[u8]) -> usize {
    memchr_iter(b'\n', bytes).count()
}

/// The index of the line break that ends the record starting at `start`, honouring quotes.
fn record_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut in_quotes = false;
    let mut position = start;
    while position < bytes.len() {
        if in_quotes {
            let quote = memchr(b'"', &bytes[position..])?;
            position += quote + 1;
            in_quotes = false;
        } else {
            let next = memchr2(b'"', b'\n', &bytes[position..])?;
            position += next;
            if bytes[position] == b'\n' {
                return Some(position);
            }
            position += 1;
            in_quotes = true;
        }
    }
    None
}

/// The index of the line break ending the last complete record in `bytes`, which starts at
/// a record boundary. A line break ends a record when the quotes before it pair up, so the
/// search walks back from the end keeping the parity of the quotes before each candidate.
fn last_record_end(bytes: &[u8]) -> Option<usize> {
    let mut odd_before_end = memchr_iter(b'"', bytes).count() % 2 == 1;
    let mut end = bytes.len();
    while let Some(line_break) = memrchr(b'\n', &bytes[..end]) {
        let odd_after = memchr_iter(b'"', &bytes[line_break + 1..end]).count() % 2 == 1;
        let odd_before = odd_before_end != odd_after;
        if !odd_before {
            return Some(line_break);
        }
        odd_before_end = odd_before;
        end = line_break;
    }
    None
}

/// Calls `each` with every non-blank record of `text` (whole records), its line number and
/// its fields. Quoted fields are unescaped; other fields borrow from `text`.
pub fn for_each_record<'t>(
    text: &'t str,
    first_line: usize,
    delimiter: u8,
    mut each: impl FnMut(usize, &[Cow<'t, str>]),
) {
    let bytes = text.as_bytes();
    let mut fields: Vec<Cow<'t, str>> = Vec::with_capacity(32);
    let mut start = 0;
    let mut line = first_line;
    while start < bytes.len() {
        let simple_end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line_text = &text[start..simple_end];
        let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
        fields.clear();
        if split_plain_record(line_text, delimiter, &mut fields) {
            if !line_text.trim().is_empty() {
                each(line, &fields);
            }
            line += 1;
            start = simple_end + 1;
            continue;
        }
        // A quote: the record may run over several lines.
        let end = record_end(bytes, start).unwrap_or(bytes.len());
        let mut record = &text[start..end];
        record = record.strip_suffix('\r').unwrap_or(record);
        if !record.trim().is_empty() {
            fields.clear();
            split_quoted_record(record, delimiter, &mut fields);
            each(line, &fields);
        }
        line += 1 + count_newlines(&bytes[start..end]);
        start = end + 1;
    }
}

fn split_record<'t>(record: &'t str, delimiter: u8, fields: &mut Vec<Cow<'t, str>>) {
    let mut start = 0;
    for position in memchr_iter(delimiter, record.as_bytes()) {
        fields.push(Cow::Borrowed(&record[start..position]));
        start = position + 1;
    }
    fields.push(Cow::Borrowed(&record[start..]));
}

/// Splits a record at `delimiter` looking at eight bytes at a time (fields are a few bytes
/// long, too short for a search call per field to pay off); `false`, with `fields` in any
/// state, when the record holds a quote and must be split by [`split_quoted_record`].
fn split_plain_record<'t>(record: &'t str, delimiter: u8, fields: &mut Vec<Cow<'t, str>>) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // The top bit of each byte of `word` that equals `byte`, exactly (no false positives).
    let equal_bytes = |word: u64, byte: u8| {
        let x = word ^ (u64::from(byte) * ONES);
        !(((x & LOW_BITS) + LOW_BITS) | x | LOW_BITS)
    };
    let bytes = record.as_bytes();
    let mut field_start = 0;
    let mut offset = 0;
    let mut words = bytes.chunks_exact(8);
    for word in words.by_ref() {
        let word = word.try_into().map_or(0, u64::from_le_bytes);
        if equal_bytes(word, b'"') != 0 {
            return false;
        }
        let mut found = equal_bytes(word, delimiter);
        while found != 0 {
            let position = offset + found.trailing_zeros() as usize / 8;
            fields.push(Cow::Borrowed(&record[field_start..position]));
            field_start = position + 1;
            found &= found - 1;
        }
        offset += 8;
    }
    for (index, &byte) in words.remainder().iter().enumerate() {
        if byte == b'"' {
            return false;
        }
        if byte == delimiter {
            let position = offset + index;
            fields.push(Cow::Borrowed(&record[field_start..position]));
            field_start = position + 1;
        }
    }
    fields.push(Cow::Borrowed(&record[field_start..]));
    true
}

fn split_quoted_record<'t>(record: &'t str, delimiter: u8, fields: &mut Vec<Cow<'t, str>>) {
    let delimiter = char::from(delimiter);
    let mut field = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut chars = record.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && (field.trim().is_empty() || quoted) {
            in_quotes = true;
            quoted = true;
        } else if c == delimiter {
            fields.push(Cow::Owned(std::mem::take(&mut field)));
            quoted = false;
        } else {
            field.push(c);
        }
    }
    fields.push(Cow::Owned(field));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn records(text: &str) -> Vec<(usize, Vec<String>)> {
        let mut out = Vec::new();
        for_each_record(text, 2, b',', |line, fields| {
            out.push((line, fields.iter().map(|f| f.to_string()).collect()));
        });
        out
    }

    #[test]
    fn splits_plain_and_quoted_records_keeping_physical_lines() {
        let text = "a,b,c\n\"x, y\",\"say \"\"hi\"\"\",z\r\n\n\"multi\nline\",2,3\nlast,,\n";
        let got = records(text);
        assert_eq!(got[0], (2, vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(got[1], (3, vec!["x, y".into(), "say \"hi\"".into(), "z".into()]));
        assert_eq!(got[2], (5, vec!["multi\nline".into(), "2".into(), "3".into()]));
        assert_eq!(got[3], (7, vec!["last".into(), "".into(), "".into()]));
    }

    #[test]
    fn reads_header_bom_semicolons_and_chunks_with_line_numbers() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        let mut body = String::from("\u{feff}\nid;valor\n");
        for i in 0..50_000 {
            body.push_str(&format!("{i};\"v{i}\"\n"));
        }
        body.push_str("end;x");
        file.write_all(body.as_bytes()).expect("write");
        let mut source = CsvSource::open(file.path(), "datos.csv").expect("open");
        assert_eq!(source.headers(), ["id", "valor"]);
        assert_eq!(source.delimiter(), b';');
        let mut seen = Vec::new();
        while let Some(chunk) = source.next_chunk().expect("chunk") {
            for piece in chunk.pieces(3) {
                let text = piece.text("datos.csv").expect("UTF-8");
                for_each_record(text, piece.first_line, b';', |line, fields| {
                    seen.push((line, fields[0].to_string()))
                });
            }
        }
        assert_eq!(seen.len(), 50_001);
        assert_eq!(seen[0], (3, "0".to_owned()));
        assert_eq!(seen[49_999], (50_002, "49999".to_owned()));
        assert_eq!(seen[50_000], (50_003, "end".to_owned()));
    }

    #[test]
    fn plain_records_split_eight_bytes_at_a_time_as_one_at_a_time() {
        let samples = [
            "",
            ",",
            "a",
            "a,b,c",
            "12345678,",
            ",12345678",
            "1234567,12345678,123456789,,,x",
            "sí,ñandú,,€,αβγδεζηθ,end",
            "a;b,c;;d",
        ];
        for text in samples {
            for delimiter in [b',', b';'] {
                let mut expected = Vec::new();
                split_record(text, delimiter, &mut expected);
                let mut got = Vec::new();
                assert!(split_plain_record(text, delimiter, &mut got), "{text:?}");
                assert_eq!(got, expected, "{text:?}");
            }
        }
        for quoted in ["\"", "a,\"b\"", "12345678\"", "1234567,12345678,\"x\""] {
            assert!(!split_plain_record(quoted, b',', &mut Vec::new()), "{quoted:?}");
        }
    }

    #[test]
    fn pieces_never_cut_inside_a_record() {
        let text: String = (0..1000).map(|i| format!("{i},plain\n")).collect();
        let chunk = Chunk {
            bytes: text.as_bytes(),
            first_line: 10,
        };
        let pieces = chunk.pieces(4);
        assert_eq!(pieces.len(), 4);
        let mut lines = Vec::new();
        for piece in &pieces {
            assert!(piece.bytes.ends_with(b"\n"));
            let text = piece.text("x.csv").expect("UTF-8");
            for_each_record(text, piece.first_line, b',', |line, fields| {
                lines.push((line, fields[0].parse::<usize>().expect("n")))
            });
        }
        assert!(lines.iter().all(|(line, n)| *line == n + 10));
    }

    #[test]
    fn the_last_record_end_skips_line_breaks_inside_quotes() {
        assert_eq!(last_record_end(b"a,b\nc,d\n"), Some(7));
        assert_eq!(last_record_end(b"a,\"x\ny\"\nc,\"open\n"), Some(7));
        assert_eq!(last_record_end(b"a,\"\"\"q\"\"\"\nb,\"x\ny"), Some(9));
        assert_eq!(last_record_end(b"\"only\nopen"), None);
        assert_eq!(last_record_end(b"no break"), None);
    }

    #[test]
    fn pieces_of_quoted_text_cut_only_between_records() {
        let text: String = (0..3000)
            .map(|i| format!("{i},\"a, \"\"b\"\"\nc\",x\n"))
            .collect();
        let chunk = Chunk {
            bytes: text.as_bytes(),
            first_line: 1,
        };
        let pieces = chunk.pieces(7);
        assert!(pieces.len() > 1);
        let mut seen = Vec::new();
        for piece in &pieces {
            let text = piece.text("q.csv").expect("UTF-8");
            for_each_record(text, piece.first_line, b',', |line, fields| {
                assert_eq!(fields[1], "a, \"b\"\nc");
                seen.push((line, fields[0].parse::<usize>().expect("n")));
            });
        }
        assert_eq!(seen.len(), 3000);
        assert!(seen.iter().all(|(line, n)| *line == 2 * n + 1));
    }

    #[test]
    fn invalid_utf8_and_unclosed_quotes_are_errors_with_lines() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(b"id,name\n1,ok\n2,caf\xe9\n").expect("write");
        let mut source = CsvSource::open(file.path(), "latin1.csv").expect("open");
        let chunk = source.next_chunk().expect("read").expect("a chunk");
        let error = chunk.pieces(1)[0].text("latin1.csv").expect_err("not UTF-8");
        assert!(error.to_string().contains("latin1.csv, line 3"), "{error}");

        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(b"id,name\n1,\"open\n2,x\n").expect("write");
        let mut source = CsvSource::open(file.path(), "quote.csv").expect("open");
        let error = source.next_chunk().err().expect("unclosed");
        assert!(error.to_string().contains("never closed"), "{error}");
    }
}
