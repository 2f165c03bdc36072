//! A chunked CSV reader for registries of millions of rows.
//!
//! The file is read in large chunks cut at record boundaries, so each chunk can be split again
//! and parsed on several threads while memory stays bounded. Records without quotes (nearly
//! all of them in registry exports) are split in place without copying; quoted fields follow
//! RFC 4180. Every record keeps its physical line number for error messages.
//!
//! A file in Windows-1252 (Excel's "CSV (delimitado por comas)" in Spanish) is transcoded to
//! UTF-8 chunk by chunk as it is read; a UTF-8 file is not copied.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use memchr::{memchr, memchr_iter, memchr2, memrchr};
use vereda_domain::text::{TextEncoding, detect_encoding};
use wide::u8x16;

use crate::table::{CsvProblem, TableError};

/// Bytes read per chunk: large enough to keep threads busy, small enough to stream.
pub const CHUNK_BYTES: usize = 4 << 20;

/// How much of a CSV file its encoding is told from (see [`detect_encoding`]): accented names
/// show up in the first rows of any Colombian registry.
pub const ENCODING_SAMPLE_BYTES: usize = 1 << 20;

/// Reads the first [`ENCODING_SAMPLE_BYTES`] of `reader`: the bytes, whether they are the
/// whole file, and the file's encoding told from them.
pub fn sample_encoding(reader: &mut impl Read) -> io::Result<(Vec<u8>, bool, TextEncoding)> {
    let mut sample = Vec::new();
    reader
        .take(ENCODING_SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)?;
    let complete = sample.len() < ENCODING_SAMPLE_BYTES;
    let encoding = detect_encoding(&sample, complete);
    Ok((sample, complete, encoding))
}

/// A stream in `encoding` read as UTF-8, decoded as it goes.
pub struct Utf8Reader<R> {
    inner: R,
    encoding: TextEncoding,
    raw: Vec<u8>,
    decoded: Vec<u8>,
    at: usize,
}

impl<R: Read> Utf8Reader<R> {
    pub fn new(inner: R, encoding: TextEncoding) -> Self {
        Self {
            inner,
            encoding,
            raw: vec![0; 64 << 10],
            decoded: Vec::new(),
            at: 0,
        }
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.encoding == TextEncoding::Utf8 {
            return self.inner.read(buf);
        }
        if self.at == self.decoded.len() {
            let read = self.inner.read(&mut self.raw)?;
            self.decoded.clear();
            self.decoded
                .extend_from_slice(self.encoding.decode(&self.raw[..read]).as_bytes());
            self.at = 0;
        }
        let n = buf.len().min(self.decoded.len() - self.at);
        buf[..n].copy_from_slice(&self.decoded[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The encoding of a CSV file, as [`CsvSource`] and the table reader will read it.
pub fn file_encoding(path: &Path) -> io::Result<TextEncoding> {
    Ok(sample_encoding(&mut File::open(path)?)?.2)
}

/// A CSV file open for chunked reading, past its header.
pub struct CsvSource {
    file_name: String,
    reader: File,
    delimiter: u8,
    encoding: TextEncoding,
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
    /// The longest record waited for: a longer one is an error, not a growing buffer.
    max_line_bytes: u64,
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
        // The vectorised check first; the standard one only to find where a bad byte is.
        if let Ok(text) = simdutf8::basic::from_utf8(self.bytes) {
            return Ok(text);
        }
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
        problem: CsvProblem::NotUtf8,
    }
}

impl CsvSource {
    /// Opens a file and reads its header line; `file_name` names it in errors. A record that
    /// does not end within `max_line_bytes` (or within a chunk, when that is longer) is an
    /// error, so memory stays bounded whatever the file holds.
    pub fn open(path: &Path, file_name: &str, max_line_bytes: u64) -> Result<Self, TableError> {
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
            encoding: TextEncoding::Utf8,
            headers: Vec::new(),
            pending: Vec::new(),
            consumed: 0,
            pending_line: 1,
            at_end: false,
            total_bytes,
            bytes_read: 0,
            max_line_bytes,
        };
        // The encoding is told from the first bytes, as `file_encoding` tells it.
        source.fill(ENCODING_SAMPLE_BYTES)?;
        let complete = source.at_end;
        source.encoding = detect_encoding(&source.pending, complete);
        source.transcode_from(0);
        source.read_header()?;
        Ok(source)
    }

    /// The encoding the file is read in.
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// Turns the bytes of `pending` from `start` on into UTF-8 when the file is not UTF-8.
    /// Windows-1252 gives each byte its own character, so a chunk is decoded on its own.
    fn transcode_from(&mut self, start: usize) {
        if self.encoding == TextEncoding::Utf8 || self.pending[start..].is_ascii() {
            return;
        }
        let decoded = self.encoding.decode(&self.pending[start..]).into_owned();
        self.pending.truncate(start);
        self.pending.extend_from_slice(decoded.as_bytes());
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
                split_quoted_record(text, self.delimiter, &mut fields);
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
            if self.pending.len() as u64 > self.max_line_bytes {
                return Err(self.too_long(self.pending_line));
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
        self.transcode_from(start);
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
                        problem: CsvProblem::UnclosedQuote,
                    });
                }
                None if self.pending.len() as u64 > self.max_line_bytes => {
                    return Err(self.too_long(self.pending_line));
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

    fn too_long(&self, line: usize) -> TableError {
        TableError::Csv {
            file: self.file_name.clone(),
            line,
            problem: CsvProblem::LineTooLong {
                limit: self.max_line_bytes,
            },
        }
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
///
/// Delimiters, line breaks and quotes are found 64 bytes at a time ([`Structural`]), so the
/// cost goes by field rather than by byte. A record that holds a quote is split again by
/// [`split_quoted_record`], which follows RFC 4180 and may span lines.
pub fn for_each_record<'t>(
    text: &'t str,
    first_line: usize,
    delimiter: u8,
    mut each: impl FnMut(usize, &[&str]),
) {
    let bytes = text.as_bytes();
    let mut fields: Vec<&'t str> = Vec::with_capacity(32);
    let mut unquoted: Vec<String> = Vec::new();
    let mut line = first_line;
    let mut record_start = 0;
    let mut field_start = 0;
    let mut structural = Structural::new(bytes, delimiter);
    // Blank records are skipped. Only a record whose first field holds nothing but spaces
    // (or bytes of other characters, which may be Unicode spaces) can be one.
    let is_blank = |first: &str, record: &str| {
        first.bytes().all(|b| b.is_ascii_whitespace() || !b.is_ascii()) && record.trim().is_empty()
    };
    while let Some((position, delimiter_found)) = structural.next() {
        if delimiter_found {
            fields.push(&text[field_start..position]);
            field_start = position + 1;
            continue;
        }
        match bytes[position] {
            b'\n' => {
                let end = if position > field_start && bytes[position - 1] == b'\r' {
                    position - 1
                } else {
                    position
                };
                fields.push(&text[field_start..end]);
                if !is_blank(fields[0], &text[record_start..end]) {
                    each(line, &fields);
                }
                fields.clear();
                line += 1;
                record_start = position + 1;
                field_start = record_start;
            }
            b'"' => {
                let end = record_end(bytes, record_start).unwrap_or(bytes.len());
                let record = &text[record_start..end];
                let record = record.strip_suffix('\r').unwrap_or(record);
                split_quoted_record(record, delimiter, &mut unquoted);
                if !is_blank(&unquoted[0], record) {
                    let unquoted: Vec<&str> = unquoted.iter().map(String::as_str).collect();
                    each(line, &unquoted);
                }
                unquoted.clear();
                fields.clear();
                line += 1 + count_newlines(&bytes[record_start..end]);
                record_start = end + 1;
                field_start = record_start;
                structural.skip_to(record_start);
            }
            _ => {}
        }
    }
    if record_start < bytes.len() {
        let last = &text[field_start..];
        fields.push(last.strip_suffix('\r').unwrap_or(last));
        let record = &text[record_start..];
        if !is_blank(fields[0], record.strip_suffix('\r').unwrap_or(record)) {
            each(line, &fields);
        }
    }
}

/// The positions of the bytes that give a CSV text its structure (the delimiter, line breaks
/// and quotes), in order. Each block of 64 bytes is compared 16 bytes at a time into one
/// bit mask, and the positions are read off the mask.
struct Structural<'b> {
    bytes: &'b [u8],
    delimiter: u8,
    /// Start of the block the masks describe.
    block: usize,
    /// The structural bytes of the block not yet returned.
    mask: u64,
    /// Which bytes of the block are line breaks or quotes rather than delimiters.
    breaks_and_quotes: u64,
}

/// Bytes per block of [`Structural`]: one bit of a `u64` each.
const BLOCK: usize = 64;

impl<'b> Structural<'b> {
    fn new(bytes: &'b [u8], delimiter: u8) -> Self {
        let mut structural = Self {
            bytes,
            delimiter,
            block: 0,
            mask: 0,
            breaks_and_quotes: 0,
        };
        structural.load_block(0);
        structural
    }

    /// Goes on from `position`, skipping what lies before it.
    fn skip_to(&mut self, position: usize) {
        self.load_block(position - position % BLOCK);
        self.mask &= u64::MAX << (position - self.block);
    }

    #[inline]
    fn load_block(&mut self, start: usize) {
        self.block = start;
        let (delimiters, breaks_and_quotes) = self.block_masks(start);
        self.mask = delimiters | breaks_and_quotes;
        self.breaks_and_quotes = breaks_and_quotes;
    }

    /// The delimiters of the block at `start`, and its line breaks and quotes.
    #[inline]
    fn block_masks(&self, start: usize) -> (u64, u64) {
        let Some(block) = self.bytes.get(start..) else {
            return (0, 0);
        };
        match block.first_chunk::<BLOCK>() {
            Some(full) => {
                let [delimiter, line_break, quote] = [self.delimiter, b'\n', b'"'].map(u8x16::splat);
                let (mut delimiters, mut breaks_and_quotes) = (0, 0);
                for (index, part) in full.chunks_exact(16).enumerate() {
                    let bytes = u8x16::new(part.try_into().unwrap_or_default());
                    let shift = 16 * index;
                    delimiters |= u64::from(bytes.simd_eq(delimiter).to_bitmask() as u16) << shift;
                    let special = bytes.simd_eq(line_break) | bytes.simd_eq(quote);
                    breaks_and_quotes |= u64::from(special.to_bitmask() as u16) << shift;
                }
                (delimiters, breaks_and_quotes)
            }
            None => block
                .iter()
                .enumerate()
                .fold((0, 0), |(delimiters, special), (index, &byte)| {
                    (
                        delimiters | u64::from(byte == self.delimiter) << index,
                        special | u64::from(byte == b'\n' || byte == b'"') << index,
                    )
                }),
        }
    }
}

impl Iterator for Structural<'_> {
    /// A position, and whether a delimiter is there (rather than a line break or a quote).
    type Item = (usize, bool);

    #[inline]
    fn next(&mut self) -> Option<(usize, bool)> {
        while self.mask == 0 {
            if self.block + BLOCK >= self.bytes.len() {
                return None;
            }
            self.load_block(self.block + BLOCK);
        }
        let offset = self.mask.trailing_zeros();
        self.mask &= self.mask - 1;
        Some((
            self.block + offset as usize,
            self.breaks_and_quotes >> offset & 1 == 0,
        ))
    }
}

fn split_quoted_record(record: &str, delimiter: u8, fields: &mut Vec<String>) {
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
            fields.push(std::mem::take(&mut field));
            quoted = false;
        } else {
            field.push(c);
        }
    }
    fields.push(field);
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
        let mut source = CsvSource::open(file.path(), "datos.csv", 1 << 20).expect("open");
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

    /// The definition `for_each_record` must agree with: records end at line breaks outside
    /// quotes; a record with a quote is split per RFC 4180, any other at every delimiter.
    fn records_by_definition(text: &str, delimiter: u8) -> Vec<(usize, Vec<String>)> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let (mut start, mut line) = (0, 2);
        while start < bytes.len() {
            let end = record_end(bytes, start).unwrap_or(bytes.len());
            let record = &text[start..end];
            let record = record.strip_suffix('\r').unwrap_or(record);
            if !record.trim().is_empty() {
                let fields = if record.contains('"') {
                    let mut fields = Vec::new();
                    split_quoted_record(record, delimiter, &mut fields);
                    fields
                } else {
                    record.split(char::from(delimiter)).map(str::to_owned).collect()
                };
                out.push((line, fields));
            }
            line += 1 + count_newlines(&bytes[start..end]);
            start = end + 1;
        }
        out
    }

    fn records_with(text: &str, delimiter: u8) -> Vec<(usize, Vec<String>)> {
        let mut out = Vec::new();
        for_each_record(text, 2, delimiter, |line, fields| {
            out.push((line, fields.iter().map(|f| f.to_string()).collect()));
        });
        out
    }

    #[test]
    fn records_split_64_bytes_at_a_time_as_by_definition() {
        let long = "x".repeat(63);
        let samples = [
            String::new(),
            ",".to_owned(),
            "a".to_owned(),
            "a,b,c".to_owned(),
            format!("{long},\n{long}\r\n,{long}"),
            format!("{long}\"a,b\",c\n{long}{long},\"multi\nline\"\nend"),
            "sí,ñandú,,€,αβγδεζηθ,end\n\n  \n\t\n".to_owned(),
            "a;b,c;;d\r\n;\n".to_owned(),
            "\"\"\n\"unclosed,a\nb".to_owned(),
        ];
        for text in &samples {
            for delimiter in [b',', b';', b'\t'] {
                assert_eq!(
                    records_with(text, delimiter),
                    records_by_definition(text, delimiter),
                    "{text:?}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_splits_as_by_definition(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["a", "bc", ",", ";", "\n", "\r\n", "\"", " ", "é", "x".repeat(40).leak()]),
                0..120,
            ),
            semicolon in proptest::bool::ANY,
        ) {
            let text: String = parts.concat();
            let delimiter = if semicolon { b';' } else { b',' };
            proptest::prop_assert_eq!(records_with(&text, delimiter), records_by_definition(&text, delimiter));
        }
    }

    #[test]
    fn a_windows_1252_file_is_read_as_its_utf8_twin_across_chunks() {
        let mut text = String::from("municipio;valor\n");
        for i in 0..400_000 {
            text.push_str(&format!("\"Nariño; Peñol\";{i},5\n"));
        }
        let records = |bytes: &[u8]| {
            let mut file = tempfile::NamedTempFile::new().expect("temp file");
            file.write_all(bytes).expect("write");
            let mut source = CsvSource::open(file.path(), "x.csv", 1 << 20).expect("open");
            let mut seen = Vec::new();
            while let Some(chunk) = source.next_chunk().expect("chunk") {
                for piece in chunk.pieces(3) {
                    let text = piece.text("x.csv").expect("text");
                    for_each_record(text, piece.first_line, b';', |line, fields| {
                        seen.push((line, fields.join("|")));
                    });
                }
            }
            (
                source.encoding(),
                source.headers().to_vec(),
                source.progress(),
                seen,
            )
        };
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        let latin_len = latin.len() as u64;
        let (encoding, headers, progress, seen) = records(&latin);
        let (twin_encoding, twin_headers, _, twin) = records(text.as_bytes());
        assert_eq!(encoding, TextEncoding::Windows1252);
        assert_eq!(twin_encoding, TextEncoding::Utf8);
        assert_eq!(headers, twin_headers);
        assert_eq!(seen.len(), 400_000);
        assert_eq!(seen, twin);
        assert_eq!(seen[7], (9, "Nariño; Peñol|7,5".to_owned()));
        // Progress counts the file's own bytes.
        assert_eq!(progress, (latin_len, latin_len));
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
        // Told to be UTF-8 from its first megabyte, the file has a stray byte after it.
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(b"id,name\n").expect("write");
        for i in 0..100_000 {
            writeln!(file, "{i},plain").expect("write");
        }
        file.write_all(b"2,caf\xe9\n").expect("write");
        let mut source = CsvSource::open(file.path(), "latin1.csv", 1 << 20).expect("open");
        assert_eq!(source.encoding(), TextEncoding::Utf8);
        let chunk = source.next_chunk().expect("read").expect("a chunk");
        let error = chunk.pieces(1)[0].text("latin1.csv").expect_err("not UTF-8");
        assert!(
            matches!(&error, TableError::Csv { file, line: 100_002, problem: CsvProblem::NotUtf8 } if file == "latin1.csv"),
            "{error}"
        );

        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(b"id,name\n1,\"open\n2,x\n").expect("write");
        let mut source = CsvSource::open(file.path(), "quote.csv", 1 << 20).expect("open");
        let error = source.next_chunk().err().expect("unclosed");
        assert!(
            matches!(
                error,
                TableError::Csv {
                    line: 2,
                    problem: CsvProblem::UnclosedQuote,
                    ..
                }
            ),
            "{error}"
        );
    }
}
