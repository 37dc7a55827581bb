//! Zip archives written by hand, so that a test can make one whose directory lies, and deflate
//! streams that unpack to gigabytes from a few megabytes, built in milliseconds.

use flate2::{Compress, Compression, FlushCompress};

/// One part of an archive: `data` as stored (already deflated when `method` is 8), `size` the
/// unpacked size the archive declares.
pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
    pub method: u16,
    pub crc: u32,
    pub size: u32,
}

pub fn stored(name: &str, data: &[u8]) -> Entry {
    Entry {
        name: name.into(),
        data: data.to_vec(),
        method: 0,
        crc: crc32fast::hash(data),
        size: data.len() as u32,
    }
}

pub fn deflated(name: &str, data: &[u8]) -> Entry {
    Entry {
        name: name.into(),
        data: raw_deflate(data, FlushCompress::Finish),
        method: 8,
        crc: crc32fast::hash(data),
        size: data.len() as u32,
    }
}

fn raw_deflate(data: &[u8], flush: FlushCompress) -> Vec<u8> {
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() / 100 + 1024);
    loop {
        let before = c.total_in() as usize;
        c.compress_vec(&data[before..], &mut out, flush).unwrap();
        if c.total_in() as usize == data.len() && out.len() < out.capacity() {
            break;
        }
        out.reserve(out.capacity().max(1024));
    }
    out
}

/// A raw deflate stream of `prefix`, then `times` MiB of repeated sheet rows, then `suffix`:
/// each MiB is packed once (a non-final block ending on a byte boundary) and repeated.
pub fn deflate_repeat(prefix: &[u8], unit: &[u8], times: usize, suffix: &[u8]) -> (Vec<u8>, u64) {
    let mib: Vec<u8> = unit.iter().copied().cycle().take(1 << 20).collect();
    let head = raw_deflate(prefix, FlushCompress::Full);
    let block = raw_deflate(&mib, FlushCompress::Full);
    let tail = raw_deflate(suffix, FlushCompress::Finish);
    let mut out = Vec::with_capacity(head.len() + block.len() * times + tail.len());
    out.extend_from_slice(&head);
    for _ in 0..times {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&tail);
    let unpacked = (prefix.len() + suffix.len()) as u64 + (times as u64) * (1 << 20);
    (out, unpacked)
}

/// A worksheet part that unpacks to `mib` MiB of rows (the prefix and suffix are left out of
/// the count, which is then exactly `mib` MiB).
pub fn deflate_bomb(mib: usize) -> (Vec<u8>, u64) {
    let (bytes, _) = deflate_repeat(
        b"",
        b"<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>",
        mib,
        b"",
    );
    (bytes, (mib as u64) << 20)
}

const SHEET_OPEN: &str =
    r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// The parts of a one-sheet workbook whose sheet holds `sheet_body` (its `<dimension>` and
/// `<sheetData>`).
pub fn workbook_parts_with(sheet_body: &str) -> Vec<Entry> {
    let mut parts = workbook_parts();
    parts.retain(|e| e.name != "xl/worksheets/sheet1.xml");
    parts.push(deflated(
        "xl/worksheets/sheet1.xml",
        format!("{SHEET_OPEN}{sheet_body}</worksheet>").as_bytes(),
    ));
    parts
}

/// The parts of a minimal one-sheet workbook (an empty sheet).
pub fn workbook_parts() -> Vec<Entry> {
    vec![
        deflated("[Content_Types].xml", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#),
        deflated("_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        deflated("xl/workbook.xml", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        deflated("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
        deflated(
            "xl/worksheets/sheet1.xml",
            format!("{SHEET_OPEN}<sheetData/></worksheet>").as_bytes(),
        ),
    ]
}

/// A one-sheet workbook whose sheet holds `sheet_body`.
pub fn workbook(sheet_body: &str) -> Vec<u8> {
    zip(&workbook_parts_with(sheet_body))
}

/// The archive of `entries`: local headers and data, the central directory, its end record.
pub fn zip(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&e.method.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // time
            h.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
            h.extend_from_slice(&e.crc.to_le_bytes());
            h.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            h.extend_from_slice(&e.size.to_le_bytes());
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(e.name.as_bytes());
            h
        };
        out.extend_from_slice(&header(0x0403_4b50, false));
        out.extend_from_slice(&e.data);
        directory.extend_from_slice(&header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&directory);
    let n = (entries.len().min(0xFFFF)) as u16;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
