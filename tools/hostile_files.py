"""Writes the hostile files of issue #11, finding 1, into DIR (docs/benchmarks.md, "Hostile files").

Usage: python3 tools/hostile_files.py DIR
"""
import os, sys, zipfile
DIR = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(DIR, exist_ok=True)
def out(name):
    return os.path.join(DIR, name)
CT='''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'''
RELS='''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'''
WB='''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'''
WBRELS='''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'''
HEAD='<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
HDR='<row r="1"><c r="A1" t="inlineStr"><is><t>ref</t></is></c><c r="B1" t="inlineStr"><is><t>title</t></is></c><c r="C1" t="inlineStr"><is><t>owner_credit_code</t></is></c></row>'
def base(z):
    for n,d in [('[Content_Types].xml',CT),('_rels/.rels',RELS),('xl/workbook.xml',WB),('xl/_rels/workbook.xml.rels',WBRELS)]:
        z.writestr(n,d,compress_type=zipfile.ZIP_DEFLATED)
with zipfile.ZipFile(out('dimension.xlsx'),'w') as z:
    base(z)
    z.writestr('xl/worksheets/sheet1.xml', HEAD+'<dimension ref="A1:XFD1048576"/><sheetData>'+HDR+'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>', compress_type=zipfile.ZIP_DEFLATED)
# 8M rows, ~1.5 GB unpacked
with zipfile.ZipFile(out('bomb.xlsx'),'w', compresslevel=9) as z:
    base(z)
    zi = zipfile.ZipInfo('xl/worksheets/sheet1.xml'); zi.compress_type = zipfile.ZIP_DEFLATED
    with z.open(zi, 'w', force_zip64=True) as f:
        f.write((HEAD+'<sheetData>'+HDR).encode())
        row=''.join('<row><c t="inlineStr"><is><t>R-1</t></is></c><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>12210102DM0000004P</t></is></c></row>' for _ in range(1000)).encode()
        for i in range(8000): f.write(row)
        f.write(b'</sheetData></worksheet>')
# one 400 MB cell
with zipfile.ZipFile(out('cell.xlsx'),'w', compresslevel=9) as z:
    base(z)
    z.writestr('xl/worksheets/sheet1.xml', HEAD+'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row></sheetData></worksheet>', compress_type=zipfile.ZIP_DEFLATED)
    zi = zipfile.ZipInfo('xl/sharedStrings.xml'); zi.compress_type = zipfile.ZIP_DEFLATED
    with z.open(zi, 'w', force_zip64=True) as f:
        f.write(b'<sst count="2" uniqueCount="2"><si><t>ref</t></si><si><t>')
        chunk=b'x'*(1<<20)
        for i in range(400): f.write(chunk)
        f.write(b'</t></si></sst>')
with open(out('line.csv'),'wb') as f:
    f.write(b'ref,title,owner_credit_code\nR-1,')
    f.write(b'x'*(60<<20))
    f.write(b',12210102DM0000004P\n')
