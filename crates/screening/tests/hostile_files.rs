//! Hostile spreadsheets: an archive that expands far beyond what it weighs (a "zip bomb") is
//! refused by measuring it, before any reader loads it into memory.

use std::io::Write;

use vereda_screening::table::{SPREADSHEET_MAX_UNZIPPED_BYTES, TableError, read_table};

/// An XLSX-named archive whose one sheet is `expanded` bytes of the same character.
fn bomb(dir: &std::path::Path, expanded: u64) -> std::path::PathBuf {
    let path = dir.join("registro.xlsx");
    let file = std::fs::File::create(&path).expect("file");
    let mut archive = zip::ZipWriter::new(file);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    archive
        .start_file("xl/worksheets/sheet1.xml", options)
        .expect("entry");
    let chunk = vec![b'A'; 1 << 20];
    let mut left = expanded;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        archive.write_all(&chunk[..n]).expect("write");
        left -= n as u64;
    }
    archive.finish().expect("archive");
    path
}

#[test]
fn a_spreadsheet_that_expands_beyond_the_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().expect("dir");
    let path = bomb(dir.path(), SPREADSHEET_MAX_UNZIPPED_BYTES + (64 << 20));
    let weight = std::fs::metadata(&path).expect("metadata").len();
    assert!(weight < 2 << 20, "a bomb weighs little: {weight}");
    match read_table(&path) {
        Err(TableError::Spreadsheet { file, message }) => {
            assert_eq!(file, "registro.xlsx");
            assert!(message.contains("300 MB"), "{message}");
        }
        other => panic!("expected the archive to be refused, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn an_archive_within_the_limit_goes_on_to_the_reader() {
    let dir = tempfile::tempdir().expect("dir");
    let path = bomb(dir.path(), 1 << 20);
    let mut file = std::fs::File::open(&path).expect("open");
    assert_eq!(vereda_screening::table::check_archive(&mut file), Ok(()));
    // Not a real workbook: the reader, not the measure, refuses it.
    assert!(matches!(read_table(&path), Err(TableError::Spreadsheet { .. })));
}
